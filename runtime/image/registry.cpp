#include "runtime/image/registry.hpp"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <cctype>
#include <exception>
#include <map>

#include "runtime/error.hpp"
#include "runtime/image/model.hpp"

namespace dkr::image {

namespace {

constexpr size_t kMaxErrorBody = 4096;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// `Bearer realm="x",service="y"` -> {"": "bearer", "realm": "x", "service": "y"}.
std::map<std::string, std::string> parse_challenge(const std::string& header) {
    std::map<std::string, std::string> out;
    size_t i = header.find(' ');
    out[""] = lower(header.substr(0, i));
    while (i != std::string::npos && i < header.size()) {
        size_t eq = header.find('=', i);
        if (eq == std::string::npos) break;
        std::string key = lower(trim(header.substr(i, eq - i)));
        if (!key.empty() && key[0] == ',') key = trim(key.substr(1));
        std::string value;
        i = eq + 1;
        if (i < header.size() && header[i] == '"') {
            size_t close = header.find('"', i + 1);
            value = header.substr(i + 1, close == std::string::npos ? std::string::npos : close - i - 1);
            i = close == std::string::npos ? close : close + 1;
        } else {
            size_t comma = header.find(',', i);
            value = trim(header.substr(i, comma == std::string::npos ? std::string::npos : comma - i));
            i = comma;
        }
        out[key] = value;
        if (i != std::string::npos && i < header.size() && header[i] == ',') ++i;
    }
    return out;
}

// "GET URL: 404 MANIFEST_UNKNOWN: manifest unknown" from a registry's error document.
std::string describe_failure(const std::string& url, long status, const std::string& body) {
    std::string msg = "GET " + url + ": HTTP " + std::to_string(status);
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("errors") && doc["errors"].IsArray()) {
        for (const auto& e : doc["errors"].GetArray()) {
            if (!e.IsObject()) continue;
            if (e.HasMember("code") && e["code"].IsString()) msg += std::string(" ") + e["code"].GetString();
            if (e.HasMember("message") && e["message"].IsString()) msg += std::string(": ") + e["message"].GetString();
        }
    }
    return msg;
}

struct Transfer {
    CURL* curl = nullptr;
    const Registry::Sink* sink = nullptr;
    const std::function<void(uint64_t)>* total = nullptr;
    long status = 0;
    std::string content_type, challenge, error_body;
    std::exception_ptr failure;  // thrown by the sink; rethrown once curl has stopped
};

size_t on_header(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    std::string line(data, size * n);
    if (line.starts_with("HTTP/")) {  // a new response (after a redirect): forget the last one's headers
        t->status = std::atol(line.c_str() + line.find(' ') + 1);
        t->content_type.clear();
        t->challenge.clear();
        return size * n;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) return size * n;
    std::string name = lower(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (name == "content-type") t->content_type = trim(value.substr(0, value.find(';')));
    if (name == "www-authenticate") t->challenge = value;
    if (name == "content-length" && t->status == 200 && *t->total) (*t->total)(std::stoull(value));
    return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* self) {
    auto* t = static_cast<Transfer*>(self);
    if (t->status == 200) {
        try {
            (*t->sink)(data, size * n);
        } catch (...) {
            t->failure = std::current_exception();
            return 0;  // aborts the transfer
        }
    } else if (t->status >= 400 && t->error_body.size() < kMaxErrorBody) {
        t->error_body.append(data, std::min(size * n, kMaxErrorBody - t->error_body.size()));
    }
    return size * n;
}

}  // namespace

Registry::Registry(Reference ref, bool plain_http, std::optional<Credentials> creds)
    : ref_(std::move(ref)), creds_(std::move(creds)) {
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    curl_ = initialized ? curl_easy_init() : nullptr;
    if (!curl_) throw Error("libcurl: cannot initialize");
    base_ = std::string(plain_http ? "http" : "https") + "://" + ref_.api_host() + "/v2/" + ref_.repository;
}

Registry::~Registry() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Registry::Reply Registry::perform(const std::string& url, const std::string& accept, const Sink& sink,
                                  const std::function<void(uint64_t)>& total) {
    CURL* c = static_cast<CURL*>(curl_);
    curl_easy_reset(c);
    Transfer t;
    t.curl = c;
    t.sink = &sink;
    t.total = &total;
    curl_slist* headers = nullptr;
    if (!accept.empty()) headers = curl_slist_append(headers, ("Accept: " + accept).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "dkr/" DKR_VERSION);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    // A stalled transfer (under 1 byte/s for a minute) fails instead of hanging.
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    if (!bearer_.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, bearer_.c_str());
    } else if (basic_ && creds_) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, creds_->user.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, creds_->password.c_str());
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (t.failure) std::rethrow_exception(t.failure);
    if (rc != CURLE_OK) throw Error("GET " + url + ": " + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return Reply{status, t.content_type, t.challenge, t.error_body};
}

Registry::Reply Registry::get(const std::string& url, const std::string& accept, const Sink& sink,
                              const std::function<void(uint64_t)>& total) {
    Reply r = perform(url, accept, sink, total);
    if (r.status == 401 && bearer_.empty() && !basic_) {
        authenticate(r.challenge, url);
        r = perform(url, accept, sink, total);
    }
    if (r.status == 401 && !creds_)
        throw Error(describe_failure(url, r.status, r.error_body) + " (the registry wants credentials: --creds)");
    if (r.status != 200) throw Error(describe_failure(url, r.status, r.error_body));
    return r;
}

void Registry::authenticate(const std::string& challenge, const std::string& url) {
    auto c = parse_challenge(challenge);
    if (c[""] == "basic") {
        if (!creds_) throw Error("GET " + url + ": the registry wants a user name and password (--creds)");
        basic_ = true;
        return;
    }
    if (c[""] != "bearer" || c["realm"].empty())
        throw Error("GET " + url + ": HTTP 401 with an authentication challenge dkr does not know: \"" + challenge + "\"");
    CURL* h = static_cast<CURL*>(curl_);
    std::string scope = c.count("scope") ? c["scope"] : "repository:" + ref_.repository + ":pull";
    auto escape = [h](const std::string& s) {
        char* e = curl_easy_escape(h, s.c_str(), static_cast<int>(s.size()));
        std::string out = e ? e : "";
        curl_free(e);
        return out;
    };
    std::string token_url = c["realm"] + (c["realm"].find('?') == std::string::npos ? "?" : "&") +
                            "service=" + escape(c["service"]) + "&scope=" + escape(scope);
    std::string body;
    Sink to_body = [&body](const char* d, size_t n) { body.append(d, n); };
    basic_ = creds_.has_value();  // the token server takes the credentials as Basic auth
    Reply r = perform(token_url, "", to_body, {});
    basic_ = false;
    if (r.status != 200) {
        std::string msg = describe_failure(token_url, r.status, r.error_body);
        throw Error("registry token: " + msg + (r.status == 401 ? " (wrong or missing --creds)" : ""));
    }
    rapidjson::Document doc;
    doc.Parse(body.c_str(), body.size());
    for (const char* key : {"token", "access_token"})
        if (!doc.HasParseError() && doc.IsObject() && doc.HasMember(key) && doc[key].IsString() &&
            doc[key].GetStringLength() > 0) {
            bearer_ = doc[key].GetString();
            return;
        }
    throw Error("registry token: " + token_url + " answered without a token");
}

Registry::Document Registry::manifest(const std::string& ref) {
    static const std::string accept = std::string(media::kOciIndex) + ", " + media::kOciManifest + ", " +
                                      media::kDockerList + ", " + media::kDockerManifest;
    Document d;
    d.url = base_ + "/manifests/" + ref;
    Sink to_body = [&d](const char* data, size_t n) {
        if (d.body.size() + n > (16u << 20)) throw Error("manifest larger than 16 MiB");
        d.body.append(data, n);
    };
    d.media_type = get(d.url, accept, to_body, {}).content_type;
    return d;
}

void Registry::blob(const std::string& digest, const Sink& sink, const std::function<void(uint64_t)>& total) {
    get(base_ + "/blobs/" + digest, "", sink, total);
}

}  // namespace dkr::image
