// Content digests ("sha256:<hex>"), computed with OpenSSL as data streams by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dkr::image {

struct Digest {
    std::string algorithm;  // "sha256" or "sha512"
    std::string hex;        // lower-case, 64 or 128 digits

    // "sha256:<64 hex>"; anything else is an error that names `where`.
    static Digest parse(std::string_view text, const std::string& where);
    std::string str() const { return algorithm + ":" + hex; }
    // The first 12 hex digits, for progress lines.
    std::string short_hex() const { return hex.substr(0, 12); }
    bool operator==(const Digest&) const = default;
};

// A running digest over a stream, with its byte count.
class Hasher {
public:
    explicit Hasher(const std::string& algorithm = "sha256");
    ~Hasher();
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(const void* data, size_t len);
    uint64_t bytes() const { return bytes_; }
    // Ends the stream; the hasher is not to be updated afterwards.
    Digest finish();

private:
    std::string algorithm_;
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
    uint64_t bytes_ = 0;
};

Digest sha256_of(std::string_view data);

// Throws "<what>: digest mismatch: expected <want>, got <got>".
void check_digest(const Digest& want, const Digest& got, const std::string& what);

}  // namespace dkr::image
