// The firmware's SHA-256 (codegen/firmware/sha256.c) against the FIPS 180-4
// example vectors, and incremental hashing at every split point.
#include "codegen/firmware/sha256.h"

#include <string>

#include <catch2/catch.hpp>

namespace {

std::string Hex(const uint8_t* d) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    s += kHex[d[i] >> 4];
    s += kHex[d[i] & 15];
  }
  return s;
}

std::string Sha(const std::string& m) {
  uint8_t d[32];
  mcutune_sha256(m.data(), m.size(), d);
  return Hex(d);
}

TEST_CASE("SHA-256 FIPS 180-4 vectors", "[firmware][sha256]") {
  CHECK(Sha("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
            "klmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(Sha(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 incremental updates equal one shot", "[firmware][sha256]") {
  std::string m;
  for (int i = 0; i < 200; ++i) m += static_cast<char>(i * 37 + 11);
  const std::string whole = Sha(m);
  for (size_t split = 0; split <= m.size(); ++split) {
    mcutune_sha256_t ctx;
    mcutune_sha256_init(&ctx);
    mcutune_sha256_update(&ctx, m.data(), split);
    mcutune_sha256_update(&ctx, m.data() + split, m.size() - split);
    uint8_t d[32];
    mcutune_sha256_final(&ctx, d);
    REQUIRE(Hex(d) == whole);
  }
  // Padding boundaries: 55, 56, 63, 64, 65 bytes.
  CHECK(Sha(std::string(55, 'x')) != Sha(std::string(56, 'x')));
  CHECK(Sha(std::string(64, 'x')).size() == 64);
}

}  // namespace
