#include <rapport/cli/main.hpp>

int main(int argc, char** argv) { return rapport::cli::main(argc, argv); }
