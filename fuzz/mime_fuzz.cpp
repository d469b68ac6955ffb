// libFuzzer target for the email parser: any bytes in, a ParsedMessage or an error out, with
// valid UTF-8 text, and no crash, leak or undefined behaviour (run under ASan/UBSan).
//   cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DRAPPORT_FUZZ=ON -DRAPPORT_TESTS=OFF
//   cmake --build build/fuzz --target mime_fuzz && build/fuzz/fuzz/mime_fuzz -max_total_time=30 fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <rapport/base/strings.hpp>
#include <rapport/email/mime.hpp>
#include <rapport/email/reply.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  rapport::email::Limits limits;
  limits.max_message_bytes = 1u << 20;  // the fuzzer's inputs are small; keep the limit near them
  auto m = rapport::email::parse_message(raw, limits);
  if (!m) return 0;
  // What intake stores must be valid UTF-8, whatever came in.
  if (!rapport::valid_utf8(m->text) || !rapport::valid_utf8(m->subject)) std::abort();
  auto body = rapport::email::strip_quoted_text(m->text);
  if (!rapport::valid_utf8(body)) std::abort();
  if (!m->html.empty() && !rapport::valid_utf8(rapport::email::html_to_plain(rapport::email::strip_quoted_html(m->html))))
    std::abort();
  return 0;
}
