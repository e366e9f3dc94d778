// Linker scripts from a BoardSpec, core flags, and the parsers that turn
// linker output into data.
#include "codegen/linker_script.h"

#include <catch2/catch.hpp>

#include "codegen/builder.h"
#include "codegen/firmware_builder.h"
#include "tests/device_farm/stand_in_firmware.h"

namespace mcutune::codegen {
namespace {

LinkerScriptOptions Stack(int64_t bytes) {
  LinkerScriptOptions o;
  o.stack_bytes = bytes;
  return o;
}

TEST_CASE("linker script has the board's exact regions", "[firmware][linker]") {
  absl::StatusOr<space::BoardSpec> f746 = testing::CatalogueBoard("qemu-f746");
  REQUIRE(f746.ok());
  absl::StatusOr<std::string> s = GenerateLinkerScript(*f746);
  REQUIRE(s.ok());
  CHECK(s->find("FLASH (rx)  : ORIGIN = 0x00000000, LENGTH = 1048576") != std::string::npos);
  CHECK(s->find("RAM   (rwx) : ORIGIN = 0x20000000, LENGTH = 327680") != std::string::npos);
  CHECK(s->find("__mcutune_stack_size = 8192;") != std::string::npos);
  for (const char* section : {".vectors", ".text", ".rodata", ".data", ".bss", ".arena",
                              ".stack", ".mcutune_result"}) {
    CHECK(s->find(std::string(section) + " ") != std::string::npos);
  }
  absl::StatusOr<space::BoardSpec> l552 = testing::CatalogueBoard("qemu-l552");
  REQUIRE(l552.ok());
  s = GenerateLinkerScript(*l552, Stack(4096));
  REQUIRE(s.ok());
  CHECK(s->find("ORIGIN = 0x10000000, LENGTH = 524288") != std::string::npos);
  CHECK(s->find("ORIGIN = 0x38000000, LENGTH = 196608") != std::string::npos);
  CHECK(s->find("__mcutune_stack_size = 4096;") != std::string::npos);
}

TEST_CASE("linker script rejects impossible boards", "[firmware][linker]") {
  space::BoardSpec b;
  b.id = "bad";
  b.core = "cortex-m4";
  b.sram_bytes = 65536;
  b.flash_bytes = 0;
  CHECK(GenerateLinkerScript(b).status().code() == absl::StatusCode::kInvalidArgument);
  b.flash_bytes = 1 << 20;
  b.flash_origin = 0xFFFF0000u;
  CHECK(GenerateLinkerScript(b).status().code() == absl::StatusCode::kInvalidArgument);
  b.flash_origin = 0x20000000u;  // on top of the SRAM
  CHECK(GenerateLinkerScript(b).status().code() == absl::StatusCode::kInvalidArgument);
  b.flash_origin = 0x08000000u;
  CHECK(GenerateLinkerScript(b, Stack(100)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(GenerateLinkerScript(b, Stack(65536)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(GenerateLinkerScript(b).ok());
}

TEST_CASE("linker script: the external-flash region of QEMU stand-ins",
          "[firmware][linker]") {
  absl::StatusOr<space::BoardSpec> f746 = testing::CatalogueBoard("qemu-f746");
  REQUIRE(f746.ok());
  // No region: the image section sits in FLASH with .rodata.
  absl::StatusOr<std::string> plain = GenerateLinkerScript(*f746);
  REQUIRE(plain.ok());
  CHECK(plain->find("EXTFLASH") == std::string::npos);
  CHECK(plain->find("*(.mcutune_ext_flash .mcutune_ext_flash.*)") !=
        std::string::npos);
  // mps2-an500's PSRAM is at 0x60000000; the image takes its second half,
  // as large as the board's declared QSPI flash (8 MiB).
  CHECK(ExtRamAddress(*f746) == "0x60000000");
  CHECK(ExtFlashAddress(*f746) == 0x60800000);
  LinkerScriptOptions o;
  o.ext_flash_origin = ExtFlashAddress(*f746);
  o.ext_flash_bytes = f746->ext_flash()->bytes;
  absl::StatusOr<std::string> ext = GenerateLinkerScript(*f746, o);
  REQUIRE(ext.ok());
  CHECK(ext->find("EXTFLASH (r) : ORIGIN = 0x60800000, LENGTH = 8388608") !=
        std::string::npos);
  CHECK(ext->find("} > EXTFLASH") != std::string::npos);
  // Loadable (QEMU's ELF loader fills it): not NOLOAD.
  CHECK(ext->find(".mcutune_ext_flash (NOLOAD)") == std::string::npos);
  o.ext_flash_origin = f746->sram_origin;  // on top of the SRAM
  CHECK(GenerateLinkerScript(*f746, o).status().code() ==
        absl::StatusCode::kInvalidArgument);
  o.ext_flash_origin = 0xFFFFF000;
  CHECK(GenerateLinkerScript(*f746, o).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // A preloaded external-RAM image: a second region, not overlapping.
  o.ext_flash_origin = ExtFlashAddress(*f746);
  o.ext_ram_image_origin = 0x60001000;
  o.ext_ram_image_bytes = 4096;
  ext = GenerateLinkerScript(*f746, o);
  REQUIRE(ext.ok());
  CHECK(ext->find("EXTRAM (rw) : ORIGIN = 0x60001000, LENGTH = 4096") !=
        std::string::npos);
  CHECK(ext->find(".mcutune_ext_ram_image ORIGIN(EXTRAM)") !=
        std::string::npos);
  o.ext_ram_image_bytes = 16 << 20;  // into the external flash's half
  CHECK(GenerateLinkerScript(*f746, o).status().code() ==
        absl::StatusCode::kInvalidArgument);
  // Boards without QSPI flash or without QEMU get no address.
  absl::StatusOr<space::BoardSpec> l552 = testing::CatalogueBoard("qemu-l552");
  REQUIRE(l552.ok());
  CHECK(ExtFlashAddress(*l552) == -1);
  absl::StatusOr<space::BoardSpec> real = testing::CatalogueBoard("f746");
  REQUIRE(real.ok());
  CHECK(ExtFlashAddress(*real) == -1);
  absl::StatusOr<space::BoardSpec> f469 = testing::CatalogueBoard("qemu-f469");
  REQUIRE(f469.ok());
  CHECK(ExtFlashAddress(*f469) == 0x21800000);
}

TEST_CASE("overflow messages become data", "[firmware][linker]") {
  const std::string log =
      "/usr/bin/arm-none-eabi-ld: firmware.elf section `.arena' will not fit in region `RAM'\n"
      "/usr/bin/arm-none-eabi-ld: region `RAM' overflowed by 72592 bytes\n"
      "/usr/bin/arm-none-eabi-ld: region `FLASH' overflowed by 12 bytes\n"
      "/usr/bin/arm-none-eabi-ld: region `RAM' overflowed by 80000 bytes\n"
      "collect2: error: ld returned 1 exit status\n";
  std::vector<RegionOverflow> o = ParseLinkerOverflows(log);
  REQUIRE(o.size() == 2);
  CHECK(o[0].region == "RAM");
  CHECK(o[0].bytes == 80000);
  CHECK(o[1].region == "FLASH");
  CHECK(o[1].bytes == 12);
  CHECK(ParseLinkerOverflows("undefined reference to `foo'").empty());
}

TEST_CASE("memory usage table becomes data", "[firmware][linker]") {
  const std::string log =
      "Memory region         Used Size  Region Size  %age Used\n"
      "           FLASH:        5660 B         1 MB      0.54%\n"
      "             RAM:          16 KB       320 KB      5.00%\n";
  std::vector<RegionUsage> u = ParseMemoryUsage(log);
  REQUIRE(u.size() == 2);
  CHECK(u[0].region == "FLASH");
  CHECK(u[0].used_bytes == 5660);
  CHECK(u[0].size_bytes == 1 << 20);
  CHECK(u[1].used_bytes == 16 * 1024);
  CHECK(u[1].size_bytes == 320 * 1024);
}

TEST_CASE("core flags per catalogue core", "[firmware][linker]") {
  space::BoardSpec b;
  b.id = "x";
  b.fpu = true;
  b.core = "cortex-m4";
  CHECK(*CoreFlags(b) == std::vector<std::string>{"-mcpu=cortex-m4", "-mthumb",
                                                  "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"});
  b.core = "cortex-m33";
  CHECK((*CoreFlags(b))[2] == "-mfpu=fpv5-sp-d16");
  b.fpu = false;
  CHECK(CoreFlags(b)->back() == "-mfloat-abi=soft");
  b.core = "cortex-a53";
  CHECK(CoreFlags(b).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mcutune::codegen
