#include "tools/bench/stats.hpp"

#include <algorithm>
#include <cmath>

namespace dkr::bench {

Summary summarize(std::vector<double> samples) {
    Summary s;
    s.n = samples.size();
    if (samples.empty()) return s;
    std::sort(samples.begin(), samples.end());
    size_t mid = s.n / 2;
    s.median = s.n % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
    size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(s.n)));
    s.p90 = samples[std::max<size_t>(rank, 1) - 1];
    return s;
}

}  // namespace dkr::bench
