// Splitting text without iostreams: dkr is a static binary, and a string
// stream brings the locale machinery into the process (its set-up at first
// use, and the pages it touches count in every command's RSS).
#pragma once

#include <string_view>
#include <vector>

namespace dkr::sys {

// The pieces between separators, empty ones included: split("a,,b", ',')
// gives "a", "", "b"; split("", ',') gives one empty piece.
std::vector<std::string_view> split(std::string_view text, char sep);

// The fields separated by runs of spaces, tabs and newlines (no empty ones).
std::vector<std::string_view> words(std::string_view text);

}  // namespace dkr::sys
