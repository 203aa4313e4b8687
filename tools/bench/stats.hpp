// Order statistics of a sample.
#pragma once

#include <cstddef>
#include <vector>

namespace dkr::bench {

struct Summary {
    size_t n = 0;
    double median = 0;
    double p90 = 0;  // nearest rank: the smallest sample with at least 90% of samples at or below it
};

// Summary of `samples`; n == 0 for an empty sample.
Summary summarize(std::vector<double> samples);

}  // namespace dkr::bench
