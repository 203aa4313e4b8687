#include "runtime/image/reference.hpp"

#include <cctype>

#include "runtime/error.hpp"
#include "runtime/image/digest.hpp"

namespace dkr::image {

namespace {

// A repository path component: lower-case letters and digits, separated by
// '.', '_', "__" or runs of '-' (the distribution spec's grammar).
bool valid_component(std::string_view c) {
    if (c.empty() || !std::isalnum(static_cast<unsigned char>(c.front())) ||
        !std::isalnum(static_cast<unsigned char>(c.back())))
        return false;
    for (size_t i = 0; i < c.size(); ++i) {
        char ch = c[i];
        if (std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch))) continue;
        if (ch == '-') continue;
        if (ch == '.' || ch == '_') {
            bool double_underscore = ch == '_' && i + 1 < c.size() && c[i + 1] == '_';
            char next = c[i + (double_underscore ? 2 : 1)];
            if (!std::isalnum(static_cast<unsigned char>(next))) return false;
            if (double_underscore) ++i;
            continue;
        }
        return false;
    }
    return true;
}

bool valid_tag(std::string_view t) {
    if (t.empty() || t.size() > 128 || t[0] == '.' || t[0] == '-') return false;
    for (char c : t)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

}  // namespace

std::string Reference::api_host() const { return registry == "docker.io" ? "registry-1.docker.io" : registry; }

std::string Reference::str() const {
    std::string s = registry + "/" + repository;
    if (!tag.empty()) s += ":" + tag;
    if (!digest.empty()) s += "@" + digest;
    return s;
}

Reference parse_reference(std::string_view text) {
    auto bad = [&](const std::string& why) { return Error("invalid image reference \"" + std::string(text) + "\": " + why); };
    Reference r;
    std::string_view rest = text;
    if (auto at = rest.find('@'); at != std::string_view::npos) {
        r.digest = Digest::parse(rest.substr(at + 1), "image reference \"" + std::string(text) + "\"").str();
        rest = rest.substr(0, at);
    }
    auto slash = rest.find('/');
    std::string_view first = rest.substr(0, slash);
    if (slash != std::string_view::npos &&
        (first.find_first_of(".:") != std::string_view::npos || first == "localhost")) {
        r.registry = std::string(first);
        rest = rest.substr(slash + 1);
    } else {
        r.registry = "docker.io";
    }
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos) {
        r.tag = std::string(rest.substr(colon + 1));
        if (!valid_tag(r.tag)) throw bad("invalid tag \"" + r.tag + "\"");
        rest = rest.substr(0, colon);
    } else if (r.digest.empty()) {
        r.tag = "latest";
    }
    if (rest.empty()) throw bad("no repository");
    r.repository = std::string(rest);
    if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos) r.repository = "library/" + r.repository;
    for (std::string_view path = r.repository;;) {
        auto s = path.find('/');
        if (!valid_component(path.substr(0, s)))
            throw bad("repository names are lower-case letters, digits and separators ('.', '_', '-', '/')");
        if (s == std::string_view::npos) break;
        path = path.substr(s + 1);
    }
    return r;
}

}  // namespace dkr::image
