#include "runtime/image/digest.hpp"

#include <openssl/evp.h>

#include "runtime/error.hpp"

namespace dkr::image {

struct Hasher::Ctx {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Digest Digest::parse(std::string_view text, const std::string& where) {
    auto colon = text.find(':');
    Digest d;
    if (colon != std::string_view::npos) {
        d.algorithm = std::string(text.substr(0, colon));
        d.hex = std::string(text.substr(colon + 1));
    }
    size_t want = d.algorithm == "sha256" ? 64 : d.algorithm == "sha512" ? 128 : 0;
    bool hex = d.hex.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (want == 0 || d.hex.size() != want || !hex)
        throw Error(where + ": invalid digest \"" + std::string(text) + "\" (expected sha256:<64 hex digits>)");
    return d;
}

Hasher::Hasher(const std::string& algorithm) : algorithm_(algorithm), ctx_(std::make_unique<Ctx>()) {
    const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, md, nullptr) != 1) throw Error("OpenSSL: cannot start " + algorithm);
}

Hasher::~Hasher() = default;

void Hasher::update(const void* data, size_t len) {
    EVP_DigestUpdate(ctx_->md, data, len);
    bytes_ += len;
}

Digest Hasher::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_->md, out, &len);
    static const char digits[] = "0123456789abcdef";
    Digest d{algorithm_, ""};
    for (unsigned i = 0; i < len; ++i) {
        d.hex += digits[out[i] >> 4];
        d.hex += digits[out[i] & 15];
    }
    return d;
}

Digest sha256_of(std::string_view data) {
    Hasher h;
    h.update(data.data(), data.size());
    return h.finish();
}

void check_digest(const Digest& want, const Digest& got, const std::string& what) {
    if (want != got) throw Error(what + ": digest mismatch: expected " + want.str() + ", got " + got.str());
}

}  // namespace dkr::image
