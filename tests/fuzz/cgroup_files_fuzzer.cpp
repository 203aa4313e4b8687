// The cgroup stat files dkr reads (for stats), and the hugepage size names.
// Input: the first byte picks the parser, the rest is the file. The parsers
// return or throw dkr::Error; any other exception or crash is a bug.
#include "runtime/cgroup/stats.hpp"
#include "runtime/error.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace dkr::cgroup;
    if (size == 0) return 0;
    std::string_view text = dkr_fuzz::as_text(data + 1, size - 1);
    try {
        switch (data[0] % 7) {
            case 0: parse_stat_uint(text); break;
            case 1: parse_flat_keyed(text); break;
            case 2: parse_uint_list(text); break;
            case 3: {
                std::vector<uint64_t> user, kernel;
                parse_cpuacct_usage_all(text, user, kernel);
                break;
            }
            case 4: parse_blkio_v1(text); break;
            case 5: {
                BlkioStats out;
                parse_io_stat(text, out);
                break;
            }
            case 6: {
                uint64_t bytes = 0;
                for (size_t i = 1; i < size && i <= sizeof bytes; ++i) bytes = bytes << 8 | data[i];
                dkr_fuzz::check(!hugepage_size_name(bytes).empty(), "a hugepage size has a name");
                break;
            }
        }
    } catch (const dkr::Error&) {
    }
    return 0;
}
