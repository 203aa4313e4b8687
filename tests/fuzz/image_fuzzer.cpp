// What `dkr image` reads from registries and archives, which it does not
// trust: image references, and the JSON of indexes, manifests, image configs
// and `docker save` manifests. Input: the first byte picks the parser, the
// rest is the text. Each returns or throws dkr::Error; a reference that
// parses prints as a reference that parses the same.
#include "runtime/error.hpp"
#include "runtime/image/model.hpp"
#include "runtime/image/reference.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace dkr::image;
    if (size == 0) return 0;
    std::string text(dkr_fuzz::as_text(data + 1, size - 1));
    try {
        switch (data[0] % 6) {
            case 0: {
                Reference r = parse_reference(text);
                Reference again = parse_reference(r.str());
                dkr_fuzz::check(again.str() == r.str() && again.api_host() == r.api_host(),
                                "a normalized reference parses to itself");
                break;
            }
            case 1: declared_media_type(text, "fuzz"); break;
            case 2: parse_index(text, "fuzz"); break;
            case 3: parse_manifest(text, "fuzz"); break;
            case 4: parse_image_config(text, "fuzz"); break;
            case 5: parse_docker_save_manifest(text, "fuzz"); break;
        }
    } catch (const dkr::Error&) {
    }
    return 0;
}
