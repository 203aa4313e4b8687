// Small text and timing helpers for reading what the engines print.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dkr_e2e {

std::string trim(const std::string& s);
// Lines without their '\n' (and without a '\r' before it: terminal output).
std::vector<std::string> lines(const std::string& s);
// s without any '\r'.
std::string without_cr(std::string s);
// text with every occurrence of each name replaced by its value.
std::string substitute(std::string text, const std::vector<std::pair<std::string, std::string>>& values);
bool contains(const std::string& hay, const std::string& needle);
// The whole file, or "" if it cannot be read.
std::string read_file(const std::string& path);
// Writes text to path; throws std::runtime_error if it cannot.
void write_file(const std::string& path, const std::string& text);
bool exists(const std::string& path);
// Polls pred every 50 ms until it holds or timeout passes; returns its last value.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace dkr_e2e
