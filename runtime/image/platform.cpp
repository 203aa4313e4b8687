#include "runtime/image/platform.hpp"

#include "runtime/error.hpp"

namespace dkr::image {

Platform host_platform() {
#if defined(__x86_64__)
    return {"linux", "amd64", ""};
#elif defined(__aarch64__)
    return {"linux", "arm64", "v8"};
#elif defined(__arm__)
    return {"linux", "arm", "v7"};
#elif defined(__i386__)
    return {"linux", "386", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return {"linux", "ppc64le", ""};
#elif defined(__s390x__)
    return {"linux", "s390x", ""};
#elif defined(__riscv) && __riscv_xlen == 64
    return {"linux", "riscv64", ""};
#else
#error "unknown architecture: add its GOARCH name here"
#endif
}

std::string platform_str(const Platform& p) {
    return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

const Descriptor& choose_manifest(const Index& index, const Platform& want, const std::string& where) {
    bool any_platform = false;
    for (const auto& d : index.manifests) {
        if (!media::is_manifest(d.media_type) && !d.media_type.empty()) continue;
        if (!d.platform) continue;
        any_platform = true;
        const Platform& p = *d.platform;
        bool variant_ok = p.variant.empty() || want.variant.empty() || p.variant == want.variant;
        if (p.os == want.os && p.architecture == want.architecture && variant_ok) return d;
    }
    if (!any_platform)
        for (const auto& d : index.manifests)
            if (media::is_manifest(d.media_type) || d.media_type.empty()) return d;
    std::string offered;
    for (const auto& d : index.manifests)
        if (d.platform) offered += (offered.empty() ? "" : ", ") + platform_str(*d.platform);
    throw Error(where + ": no image for " + platform_str(want) + (offered.empty() ? "" : " (it has " + offered + ")"));
}

}  // namespace dkr::image
