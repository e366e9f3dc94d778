# Cross-compiles every kernel source with arm-none-eabi-gcc for the Cortex-M
# cores of the board catalogue, DSP and portable paths, both pinned
# requantization modes, warnings as errors. Catches portability problems
# (missing intrinsics, double promotion on single-precision FPUs, non-C99
# code); running the code on QEMU is device_farm's job.
#
#   cmake -DSOURCE_DIR=<repo> -DOUT_DIR=<dir> [-DCC=arm-none-eabi-gcc]
#         -P codegen/kernels/cross_compile.cmake
# Exit code 77 when the cross compiler is absent (ctest: skipped).
cmake_minimum_required(VERSION 3.22)
if(NOT CC)
  set(CC arm-none-eabi-gcc)
endif()
find_program(CROSS_CC ${CC})
if(NOT CROSS_CC)
  message("SKIPPED: ${CC} not found")
  cmake_language(EXIT 77)
endif()
file(GLOB SOURCES ${SOURCE_DIR}/codegen/kernels/*.c)
set(COMMON -std=c99 -O2 -mthumb -ffp-contract=off -ffunction-sections
    -Wall -Wextra -Werror -pedantic -Wshadow -Wdouble-promotion
    -Wmissing-prototypes -Wstrict-prototypes -I${SOURCE_DIR})
set(CONFIGS
  "m4|-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
  "m7|-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard"
  "m33|-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard"
  "m0plus|-mcpu=cortex-m0plus -mfloat-abi=soft")
set(VARIANTS
  "dsp|"
  "portable|-DMCUK_PORTABLE"
  "single_pinned|-DMCUK_REQUANT_MODE=MCUK_REQUANT_SINGLE -DMCUK_ENABLE_ASSERT"
  "double_pinned|-DMCUK_REQUANT_MODE=MCUK_REQUANT_DOUBLE")
set(failures 0)
foreach(config ${CONFIGS})
  string(REPLACE "|" ";" parts "${config}")
  list(GET parts 0 core)
  list(GET parts 1 core_flags)
  separate_arguments(core_flags)
  foreach(variant ${VARIANTS})
    string(REPLACE "|" ";" vparts "${variant}")
    list(GET vparts 0 vname)
    list(LENGTH vparts n)
    set(vflags "")
    if(n GREATER 1)
      list(GET vparts 1 vflags)
      separate_arguments(vflags)
    endif()
    set(dir ${OUT_DIR}/${core}_${vname})
    file(MAKE_DIRECTORY ${dir})
    set(objects "")
    foreach(src ${SOURCES})
      get_filename_component(name ${src} NAME_WE)
      execute_process(
        COMMAND ${CROSS_CC} ${COMMON} ${core_flags} ${vflags} -c ${src}
                -o ${dir}/${name}.o
        RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out)
      if(NOT rc EQUAL 0)
        message("FAILED ${core}/${vname} ${name}.c:\n${err}")
        math(EXPR failures "${failures} + 1")
      else()
        list(APPEND objects ${dir}/${name}.o)
      endif()
    endforeach()
    # The DSP variant must really use SIMD32 instructions on DSP cores.
    if(vname STREQUAL "dsp" AND NOT core STREQUAL "m0plus" AND objects)
      find_program(OBJDUMP arm-none-eabi-objdump)
      if(OBJDUMP)
        execute_process(COMMAND ${OBJDUMP} -d ${objects} OUTPUT_VARIABLE dis)
        if(NOT dis MATCHES "smlad")
          message("FAILED ${core}/dsp: no SMLAD in the DSP build")
          math(EXPR failures "${failures} + 1")
        endif()
      endif()
    endif()
    find_program(SIZE arm-none-eabi-size)
    if(SIZE AND objects)
      execute_process(COMMAND ${SIZE} -t ${objects} OUTPUT_VARIABLE sizes)
      string(REGEX MATCH "[ \t]*([0-9]+)[ \t]+[0-9]+[ \t]+[0-9]+[ \t]+[0-9]+[ \t]+[0-9a-f]+[ \t]+\\(TOTALS\\)" total "${sizes}")
      message("${core}/${vname}: ${CMAKE_MATCH_1} bytes of code")
    endif()
  endforeach()
endforeach()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} cross-compilation failure(s)")
endif()
message("cross-compilation OK")
