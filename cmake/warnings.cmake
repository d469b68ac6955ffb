add_library(rapport_options INTERFACE)
target_compile_options(rapport_options INTERFACE -Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(RAPPORT_SANITIZE)
  target_compile_options(rapport_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                   -fno-sanitize-recover=undefined)
  target_link_options(rapport_options INTERFACE -fsanitize=address,undefined)
endif()
