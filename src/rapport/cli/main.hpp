#pragma once
namespace rapport::cli {
// `rapport` and its sub-commands; returns the process exit code.
int main(int argc, char** argv);
}  // namespace rapport::cli
