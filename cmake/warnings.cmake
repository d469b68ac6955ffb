add_library(rapport_options INTERFACE)
target_compile_options(rapport_options INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(RAPPORT_SANITIZE)
  target_compile_options(rapport_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=undefined)
  target_link_options(rapport_options INTERFACE -fsanitize=address,undefined)
endif()
if(RAPPORT_FUZZ)
  # Coverage for libFuzzer in every library a fuzz target links, plus the sanitizers it checks with.
  # -fno-sanitize-recover: undefined behaviour aborts, so libFuzzer reports it as a crash.
  target_compile_options(rapport_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=undefined)
  target_link_options(rapport_options INTERFACE -fsanitize=address,undefined)
endif()
