#include "auth/password_file.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <iterator>

#include "auth/codec.hpp"
#include "storage/account_store.hpp"

namespace mssgw::auth {
namespace {

constexpr std::size_t max_file_size = 16u << 20;
constexpr std::size_t sha512_len = 64;

// crypt(3) hash prefixes we accept (libxcrypt): SHA-512 and SHA-256 crypt, bcrypt, yescrypt.
bool crypt_prefix_ok(std::string_view hash, std::string_view scheme) {
  bool sha512 = hash.starts_with("$6$"), sha256 = hash.starts_with("$5$");
  bool bcrypt = hash.starts_with("$2b$") || hash.starts_with("$2y$") || hash.starts_with("$2a$");
  bool yescrypt = hash.starts_with("$y$");
  if (scheme == "SHA512-CRYPT") return sha512;
  if (scheme == "SHA256-CRYPT") return sha256;
  if (scheme == "BLF-CRYPT") return bcrypt;
  return sha512 || sha256 || bcrypt || yescrypt;  // CRYPT
}

bool crypt_charset_ok(std::string_view hash) {
  if (hash.size() < 12 || hash.size() > 512) return false;
  for (char c : hash) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '$' || c == '.' ||
              c == '/' || c == '=' || c == ',';
    if (!ok) return false;
  }
  return true;
}

// crypt_r with a heap buffer (struct crypt_data is about 32 KB in libxcrypt). Empty on failure: libxcrypt returns a
// string starting with '*' for an invalid setting.
std::string run_crypt(std::string_view password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  std::string phrase(password);
  const char* out = crypt_r(phrase.c_str(), setting.c_str(), data.get());
  OPENSSL_cleanse(phrase.data(), phrase.size());
  std::string result = (out && out[0] != '*') ? std::string(out) : std::string();
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return result;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths of hash strings are not secret
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string sha512(std::string_view a, std::string_view b) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha512(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 && EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, md, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};
  std::string out(reinterpret_cast<const char*>(md), len);
  OPENSSL_cleanse(md, sizeof md);
  return out;
}

}  // namespace

bool user_db::valid_username(std::string_view username) {
  if (username.find('@') != std::string_view::npos) return storage::normalise_bal_address(username).has_value();
  return storage::valid_idnat(username);
}

std::string user_db::normalise(std::string_view username) {
  if (username.find('@') != std::string_view::npos) {
    if (auto a = storage::normalise_bal_address(username)) return *a;
  }
  return std::string(username);
}

user_db_result user_db::from_text(std::string_view text, std::string_view name) {
  user_db_result result;
  auto db = std::make_shared<user_db>();
  std::size_t line_no = 0;
  auto fail = [&](errc e, std::string what) {
    result.error = e;
    result.message = std::string(name) + ":" + std::to_string(line_no) + ": " + what;
    result.users.reset();
    return result;
  };
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail(errc::file_syntax, "expected user:{SCHEME}hash");
    std::string_view user = line.substr(0, colon);
    std::string_view password = line.substr(colon + 1);
    password = password.substr(0, password.find(':'));  // later fields (uid, gid, ...) are ignored
    if (!valid_username(user)) return fail(errc::file_syntax, "user name is neither an idNat nor a BAL address");
    if (!password.starts_with('{')) return fail(errc::unsupported_scheme, "password without a {SCHEME} prefix");
    auto close = password.find('}');
    if (close == std::string_view::npos) return fail(errc::file_syntax, "unterminated {SCHEME}");
    std::string scheme_name(password.substr(1, close - 1));
    for (auto& c : scheme_name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    std::string_view hash = password.substr(close + 1);
    entry e;
    if (scheme_name == "SHA512-CRYPT" || scheme_name == "SHA256-CRYPT" || scheme_name == "BLF-CRYPT" ||
        scheme_name == "CRYPT") {
      if (!crypt_charset_ok(hash) || !crypt_prefix_ok(hash, scheme_name)) {
        return fail(errc::unsupported_scheme,
                    "{" + scheme_name + "} hash is not a SHA-512, SHA-256, bcrypt or yescrypt crypt string");
      }
      e.kind = scheme::crypt;
      e.hash = std::string(hash);
    } else if (scheme_name == "SSHA512") {
      auto raw = base64_decode(hash);
      if (!raw || raw->size() < sha512_len + 4)
        return fail(errc::file_syntax, "{SSHA512} is not base64 of digest+salt");
      e.kind = scheme::ssha512;
      e.hash = std::move(*raw);
    } else {
      return fail(errc::unsupported_scheme,
                  "scheme {" + scheme_name.substr(0, 32) +
                      "} not supported (SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, CRYPT, SSHA512)");
    }
    if (!db->users_.emplace(normalise(user), std::move(e)).second)
      return fail(errc::duplicate_entry, "user listed twice");
  }
  result.users = std::move(db);
  return result;
}

user_db_result user_db::from_file(const std::filesystem::path& file) {
  user_db_result result;
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec || size > max_file_size) {
    result.error = errc::file_unreadable;
    result.message = ec ? "cannot read " + file.string() + ": " + ec.message() : file.string() + " is over 16 MiB";
    return result;
  }
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_text(text, file.string());
}

bool user_db::contains(std::string_view username) const {
  return users_.count(normalise(username)) != 0;
}

password_check user_db::verify(std::string_view username, std::string_view password) const {
  auto it = users_.find(normalise(username));
  bool has_nul = password.find('\0') != std::string_view::npos;
  if (it == users_.end() || has_nul) {
    // Same work as a real check, so that timing does not tell which users exist.
    static const std::string dummy_setting = "$6$mssgw.dummy.salt";
    (void)run_crypt(has_nul ? std::string_view("x") : password, dummy_setting);
    return it == users_.end() ? password_check::unknown_user : password_check::bad_password;
  }
  const entry& e = it->second;
  if (e.kind == scheme::crypt) {
    std::string computed = run_crypt(password, e.hash);
    bool ok = !computed.empty() && equal_constant_time(computed, e.hash);
    OPENSSL_cleanse(computed.data(), computed.size());
    return ok ? password_check::ok : password_check::bad_password;
  }
  std::string_view digest = std::string_view(e.hash).substr(0, sha512_len);
  std::string_view salt = std::string_view(e.hash).substr(sha512_len);
  std::string computed = sha512(password, salt);
  bool ok = computed.size() == sha512_len && equal_constant_time(computed, digest);
  return ok ? password_check::ok : password_check::bad_password;
}

}  // namespace mssgw::auth
