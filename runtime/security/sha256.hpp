// SHA-256 (FIPS 180-4), small and dependency-free: used to key the compiled
// seccomp filter cache. Not constant-time; do not use it for secrets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dkr::security {

class Sha256 {
public:
    Sha256();
    Sha256& update(std::string_view data);
    // Finishes the hash; the object must not be updated afterwards.
    std::array<uint8_t, 32> digest();

private:
    void block(const uint8_t* p);

    std::array<uint32_t, 8> h_;
    std::array<uint8_t, 64> buf_{};
    size_t buf_len_ = 0;
    uint64_t total_ = 0;  // bytes hashed so far
};

// Lower-case hex of the SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
std::string to_hex(const uint8_t* p, size_t n);

}  // namespace dkr::security
