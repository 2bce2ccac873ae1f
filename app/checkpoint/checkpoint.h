// Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519 through OpenSSL
// (SPEC §12). No I/O except reading a key file.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "merkle/merkle.h"

namespace webpods::checkpoint {

// A key, a note or a checkpoint that cannot be used; the message says why.
class NoteError : public std::runtime_error {
public:
    using runtime_error::runtime_error;
};

// Signed-note key names: non-empty, printable ASCII without spaces or '+'.
bool is_valid_key_name(std::string_view name);

// The 4-byte key ID of an Ed25519 key: SHA-256(name || "\n" || 0x01 || public_key)[0:4].
std::string key_id(std::string_view name, std::string_view public_key);

// The verifier key line: <name>+<8 hex key ID>+<base64(0x01 || public_key)>.
std::string verifier_key(std::string_view name, std::string_view public_key);

// A new Ed25519 private key as PKCS#8 PEM.
std::string generate_private_key_pem();

// An Ed25519 private key and the name it signs under. Immutable; safe to share between threads
// (every signature makes its own OpenSSL context).
class Signer {
public:
    // Throws NoteError when the PEM holds no Ed25519 private key or the name is invalid.
    Signer(std::string_view pem, std::string name);
    // Reads the PEM at path; NoteError also when it cannot be read.
    static Signer from_file(const std::string& path, std::string name);

    const std::string& name() const { return name_; }
    const std::string& public_key() const { return public_key_; }  // 32 raw bytes
    std::string verifier_key() const { return checkpoint::verifier_key(name_, public_key_); }

    // The 64-byte Ed25519 signature of message.
    std::string sign(std::string_view message) const;
    // text (non-empty, ending in '\n') as a signed note: text, a blank line, one signature line
    // "— <name> <base64(key ID || signature of text)>\n".
    std::string sign_note(std::string_view text) const;

private:
    struct FreeKey {
        void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    };
    std::shared_ptr<EVP_PKEY> key_;
    std::string name_;
    std::string public_key_;
};

// A verifier key line, parsed. Throws NoteError when it is not one for Ed25519 or its key ID
// does not match its name and key.
struct Verifier {
    std::string name;
    std::string key_id;      // 4 raw bytes
    std::string public_key;  // 32 raw bytes

    static Verifier parse(std::string_view verifier_key);
};

// The body of a C2SP tlog-checkpoint: origin, tree size and root hash.
struct Checkpoint {
    std::string origin;
    std::uint64_t size = 0;
    merkle::Hash root{};
};

// "<origin>\n<size>\n<base64 root>\n": the signed text of a checkpoint.
std::string checkpoint_text(const Checkpoint& checkpoint);

// The checkpoint in `note` when one of its signature lines is a valid signature by `verifier`
// over its text. Throws NoteError naming what failed: the note's shape, no signature by that
// key, a bad signature, or a body that is not a checkpoint.
Checkpoint open_checkpoint(std::string_view note, const Verifier& verifier);

}  // namespace webpods::checkpoint
