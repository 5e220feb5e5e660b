// PLAIN's users file (only read when [auth] plain_enabled): a Dovecot passwd-file subset, one user per line:
//
//     username:{SCHEME}hash[:ignored fields...]
//
// `username` is an idNat (a professional: the same identity a Pro Santé Connect token gives) or a BAL address
// (lowercased; a local user opening that BAL only). '#' starts a comment line; blank lines are skipped. Fields after
// the password are ignored (uid, gid, home... in Dovecot's format), so a Dovecot file can be reused.
//
// Schemes (hash formats as `doveadm pw` and `mkpasswd` write them):
// - {SHA512-CRYPT} "$6$...", {SHA256-CRYPT} "$5$...", {BLF-CRYPT} "$2b$/$2y$...", and {CRYPT} with any of those or
//   yescrypt "$y$...", checked with libcrypt's crypt_r; the traditional DES/MD5 crypt formats are refused;
// - {SSHA512}: base64(SHA-512(password || salt) || salt), salt of at least 4 bytes (Dovecot's format);
// - {ARGON2ID} is refused as unsupported: OpenSSL 3.0 has no Argon2 (3.2+) and libargon2 is not a dependency;
//   cleartext schemes ({PLAIN}, {CLEAR}) are refused too. A line with an unsupported scheme is an error, so a typo
//   never silently locks a user out.
//
// Verification compares digests in constant time (CRYPTO_memcmp) and, for an unknown user, still hashes against a
// dummy SHA512-CRYPT entry so that response times do not reveal which users exist. Hashing costs milliseconds of
// CPU (5,000 SHA-512 rounds by default): PLAIN is for development and small sites.
//
// A user_db is immutable once loaded; share it as shared_ptr<const user_db>. verify() is thread-safe (crypt_r with
// a per-call buffer).
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/errc.hpp"

namespace mssgw::auth {

class user_db;

struct user_db_result {
  std::shared_ptr<const user_db> users;  // null on error
  errc error{};
  std::string message;  // "file:line: what" (never the hash), empty on success
};

enum class password_check { ok, unknown_user, bad_password };

class user_db {
 public:
  static user_db_result from_text(std::string_view text, std::string_view name = "users file");
  static user_db_result from_file(const std::filesystem::path& file);  // at most 16 MiB

  // `username` as the client sent it: idNat exactly, or an address compared case-insensitively.
  password_check verify(std::string_view username, std::string_view password) const;
  bool contains(std::string_view username) const;
  std::size_t size() const { return users_.size(); }

  // Whether `username` is acceptable in a users file: a valid idNat or a valid BAL address.
  static bool valid_username(std::string_view username);
  // Normal form: addresses lowercased, idNats as given.
  static std::string normalise(std::string_view username);

 private:
  enum class scheme { crypt, ssha512 };
  struct entry {
    scheme kind = scheme::crypt;
    std::string hash;  // crypt string, or decoded digest || salt for SSHA512
  };
  std::unordered_map<std::string, entry> users_;
};

}  // namespace mssgw::auth
