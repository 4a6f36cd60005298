//! RSA signing keys for JWTs, looked up by key id (`kid`).
//!
//! Keys come from a folder of PEM files (`zarf/keys/<kid>.pem`, the ardanlabs layout),
//! from one JSON object of `kid → PEM` (an env var, for deployments that mount no
//! files), or from a single PEM. Each key is parsed once with the `rsa` crate and kept
//! in the three forms its users need: a `jsonwebtoken` encoding key to sign, a decoding
//! key to verify, and the public JWK for `/.well-known/jwks.json`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, RSAKeyParameters, RSAKeyType,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

/// The JWT algorithm every key in the store is used with.
pub const ALGORITHM: Algorithm = Algorithm::RS256;

/// Smallest RSA modulus accepted; smaller keys are breakable and `ring`-based
/// verifiers in other services refuse them.
pub const MIN_RSA_BITS: usize = 2048;

/// Why keys could not be loaded or selected. Messages name the file or kid and never
/// contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// The key folder could not be listed.
    #[error("reading key directory {}: {source}", path.display())]
    ReadDir {
        /// The folder.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A key file could not be read.
    #[error("reading key file {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A key was read but is not a usable RSA key.
    #[error("key {kid:?} ({origin}): {reason}")]
    InvalidKey {
        /// The key id the key would have had.
        kid: String,
        /// Where it came from, e.g. `file zarf/keys/<kid>.pem` or `keys JSON`.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The keys JSON is not an object of `kid → PEM text`.
    #[error("keys JSON must be an object of kid to PEM text: {0}")]
    Json(String),
    /// A source held no keys at all; a service that signs tokens cannot start so.
    #[error("no keys found in {0}")]
    Empty(String),
    /// A kid was asked for that the store does not hold (or that cannot sign).
    #[error("key {0:?} is not in the key store or has no private key")]
    UnknownKid(String),
}

type Result<T> = std::result::Result<T, KeyStoreError>;

#[derive(Clone)]
struct Key {
    /// `None` for a public-only key: such a key verifies but cannot sign.
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    jwk: Jwk,
}

/// A set of RSA keys by kid, for signing and verifying RS256 JWTs.
#[derive(Clone, Default)]
pub struct KeyStore {
    keys: BTreeMap<String, Key>,
    default_kid: Option<String>,
}

// Hand-written so that debug-printing a store (or a struct holding one) can never
// print private key material.
impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .field("default_kid", &self.default_kid())
            .finish()
    }
}

impl KeyStore {
    /// An empty store; add keys with [`KeyStore::add_pem`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads every `*.pem` file in `dir`; the kid is the file name without `.pem`.
    /// Other files and subfolders are ignored. A folder without keys is an error.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let read_dir = |source| KeyStoreError::ReadDir {
            path: dir.to_path_buf(),
            source,
        };
        let mut store = Self::new();
        for entry in std::fs::read_dir(dir).map_err(read_dir)? {
            let path = entry.map_err(read_dir)?.path();
            if !path.is_file() || path.extension().is_none_or(|e| e != "pem") {
                continue;
            }
            let Some(kid) = path.file_stem().and_then(|s| s.to_str()) else {
                return Err(KeyStoreError::InvalidKey {
                    kid: path.display().to_string(),
                    origin: format!("file {}", path.display()),
                    reason: "file name is not valid UTF-8".into(),
                });
            };
            let pem = std::fs::read_to_string(&path).map_err(|source| KeyStoreError::ReadFile {
                path: path.clone(),
                source,
            })?;
            store.insert(kid, &pem, &format!("file {}", path.display()))?;
        }
        if store.keys.is_empty() {
            return Err(KeyStoreError::Empty(format!("directory {} (*.pem)", dir.display())));
        }
        Ok(store)
    }

    /// Loads keys from a JSON object `{"<kid>": "<PEM text>", ...}`, the form used by
    /// the `SALES_AUTH_KEYS_JSON` env var. An empty object is an error.
    pub fn from_json(json: &str) -> Result<Self> {
        let map: BTreeMap<String, String> =
            serde_json::from_str(json).map_err(|e| KeyStoreError::Json(e.to_string()))?;
        if map.is_empty() {
            return Err(KeyStoreError::Empty("keys JSON".into()));
        }
        let mut store = Self::new();
        for (kid, pem) in &map {
            store.insert(kid, pem, "keys JSON")?;
        }
        Ok(store)
    }

    /// A store holding the single key `pem` under `kid`.
    pub fn from_pem(kid: &str, pem: &str) -> Result<Self> {
        let mut store = Self::new();
        store.add_pem(kid, pem)?;
        Ok(store)
    }

    /// Adds (or replaces) the key `kid`. A private key (PKCS#1 or PKCS#8 PEM) can sign
    /// and verify; a public key (`PUBLIC KEY` / `RSA PUBLIC KEY` PEM) only verifies,
    /// which lets a service check tokens issued elsewhere.
    pub fn add_pem(&mut self, kid: &str, pem: &str) -> Result<()> {
        self.insert(kid, pem, "PEM")
    }

    fn insert(&mut self, kid: &str, pem: &str, origin: &str) -> Result<()> {
        let invalid = |reason: String| KeyStoreError::InvalidKey {
            kid: kid.to_string(),
            origin: origin.to_string(),
            reason,
        };
        if !is_valid_kid(kid) {
            return Err(invalid(
                "a kid must be 1-128 characters of letters, digits, '-', '_' or '.'".into(),
            ));
        }
        let key = parse_key(kid, pem).map_err(invalid)?;
        self.keys.insert(kid.to_string(), key);
        Ok(())
    }

    /// Makes `kid` the key [`KeyStore::default_kid`] returns; it must be present and
    /// able to sign.
    pub fn with_default_kid(mut self, kid: &str) -> Result<Self> {
        match self.keys.get(kid) {
            Some(key) if key.encoding.is_some() => {
                self.default_kid = Some(kid.to_string());
                Ok(self)
            }
            _ => Err(KeyStoreError::UnknownKid(kid.to_string())),
        }
    }

    /// The kid to sign with when none is asked for: the configured one, else the
    /// first (sorted) kid that has a private key; `None` if no key can sign.
    pub fn default_kid(&self) -> Option<&str> {
        self.default_kid.as_deref().or_else(|| {
            self.keys
                .iter()
                .find(|(_, k)| k.encoding.is_some())
                .map(|(kid, _)| kid.as_str())
        })
    }

    /// The key to sign with, if `kid` is present and has a private key.
    pub fn encoding_key(&self, kid: &str) -> Option<&EncodingKey> {
        self.keys.get(kid).and_then(|k| k.encoding.as_ref())
    }

    /// The key to verify with, if `kid` is present.
    pub fn decoding_key(&self, kid: &str) -> Option<&DecodingKey> {
        self.keys.get(kid).map(|k| &k.decoding)
    }

    /// The public JWK of `kid`, if present.
    pub fn jwk(&self, kid: &str) -> Option<&Jwk> {
        self.keys.get(kid).map(|k| &k.jwk)
    }

    /// All kids, sorted.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store holds no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The public keys as a JWK set, `{"keys": [...]}`, for `/.well-known/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        let set = JwkSet {
            keys: self.keys.values().map(|k| k.jwk.clone()).collect(),
        };
        // A JwkSet of RSA keys always serialises; `Null` only to avoid a panic path.
        serde_json::to_value(set).unwrap_or(serde_json::Value::Null)
    }
}

/// Whether `kid` is safe to use in file names, URLs and JWT headers.
pub fn is_valid_kid(kid: &str) -> bool {
    (1..=128).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn parse_key(kid: &str, pem: &str) -> std::result::Result<Key, String> {
    let pem = pem.trim();
    let (private, public) = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        let key = RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| format!("bad PKCS#1 key: {e}"))?;
        let public = key.to_public_key();
        (Some(key), public)
    } else if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
        let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| format!("bad PKCS#8 key (is it RSA?): {e}"))?;
        let public = key.to_public_key();
        (Some(key), public)
    } else if pem.starts_with("-----BEGIN RSA PUBLIC KEY-----") {
        let key = RsaPublicKey::from_pkcs1_pem(pem).map_err(|e| format!("bad PKCS#1 public key: {e}"))?;
        (None, key)
    } else if pem.starts_with("-----BEGIN PUBLIC KEY-----") {
        let key = RsaPublicKey::from_public_key_pem(pem).map_err(|e| format!("bad public key (is it RSA?): {e}"))?;
        (None, key)
    } else if pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return Err("encrypted private keys are not supported; store it unencrypted".into());
    } else {
        return Err("not a PEM RSA key (expected a BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY block)".into());
    };

    let bits = public.size() * 8;
    if bits < MIN_RSA_BITS {
        return Err(format!("RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"));
    }

    // jsonwebtoken's RustCrypto backend reads RSA signing keys as PKCS#1 DER, whatever
    // PEM form the key arrived in.
    let encoding = match private {
        Some(key) => {
            let der = key.to_pkcs1_der().map_err(|e| format!("re-encoding key: {e}"))?;
            Some(EncodingKey::from_rsa_der(der.as_bytes()))
        }
        None => None,
    };
    let n = public.n().to_bytes_be();
    let e = public.e().to_bytes_be();
    let jwk = Jwk {
        common: CommonParameters {
            public_key_use: Some(PublicKeyUse::Signature),
            key_algorithm: Some(KeyAlgorithm::RS256),
            key_id: Some(kid.to_string()),
            ..Default::default()
        },
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: URL_SAFE_NO_PAD.encode(&n),
            e: URL_SAFE_NO_PAD.encode(&e),
        }),
    };
    Ok(Key {
        encoding,
        decoding: DecodingKey::from_rsa_raw_components(&n, &e),
        jwk,
    })
}

/// A new RSA private key of `bits` bits as PKCS#8 PEM (`sales-admin genkey`).
pub fn generate_private_key_pem(bits: usize) -> anyhow::Result<String> {
    anyhow::ensure!(
        bits >= MIN_RSA_BITS,
        "RSA keys need at least {MIN_RSA_BITS} bits, got {bits}"
    );
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), bits)?;
    Ok(key.to_pkcs8_pem(LineEnding::LF)?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Header, Validation, decode, decode_header, encode};
    use serde::{Deserialize, Serialize};

    const DEV_KID: &str = "54bb2165-71e1-41a6-af3e-7da4a0e1e2c1";

    fn dev_keys_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../zarf/keys")
    }

    fn dev_pem() -> String {
        std::fs::read_to_string(dev_keys_dir().join(format!("{DEV_KID}.pem"))).unwrap()
    }

    /// A fresh, empty folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!("keystore-test-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Claims {
        sub: String,
        exp: u64,
    }

    fn far_future() -> u64 {
        // Year 2100: the test must not start failing as time passes.
        4_102_444_800
    }

    #[test]
    fn dev_key_signs_and_verifies_rs256_with_kid() {
        // Guards CRATES.md pitfall #1: with no (or two) jsonwebtoken crypto backends
        // this compiles and then panics at the first sign or verify.
        let store = KeyStore::from_dir(dev_keys_dir()).unwrap();
        assert_eq!(store.kids().collect::<Vec<_>>(), vec![DEV_KID]);
        assert_eq!(store.default_kid(), Some(DEV_KID));

        let claims = Claims {
            sub: "user-1".into(),
            exp: far_future(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(DEV_KID.into());
        let token = encode(&header, &claims, store.encoding_key(DEV_KID).unwrap()).unwrap();

        let kid = decode_header(&token).unwrap().kid.unwrap();
        assert_eq!(kid, DEV_KID);
        let validation = Validation::new(ALGORITHM);
        let got = decode::<Claims>(&token, store.decoding_key(&kid).unwrap(), &validation).unwrap();
        assert_eq!(got.claims, claims);

        // A token signed by another key must not verify under this kid.
        let other = KeyStore::from_pem("other", &generate_private_key_pem(2048).unwrap()).unwrap();
        let forged = encode(&header, &claims, other.encoding_key("other").unwrap()).unwrap();
        assert!(decode::<Claims>(&forged, store.decoding_key(DEV_KID).unwrap(), &validation).is_err());
        // And the generated key itself round-trips, proving generate → load works.
        let own = decode::<Claims>(&forged, other.decoding_key("other").unwrap(), &validation);
        assert_eq!(own.unwrap().claims, claims);
    }

    #[test]
    fn jwks_publishes_a_key_that_verifies_tokens() {
        let store = KeyStore::from_pem(DEV_KID, &dev_pem()).unwrap();
        let jwks = store.jwks();
        let key = &jwks["keys"][0];
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert_eq!(key["kid"], DEV_KID);
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["e"], "AQAB");
        assert!(key.get("d").is_none(), "private exponent must never be published");

        // What a remote verifier does: parse the set, build a key from the JWK.
        let set: JwkSet = serde_json::from_value(jwks).unwrap();
        let remote = DecodingKey::from_jwk(set.find(DEV_KID).unwrap()).unwrap();
        let claims = Claims {
            sub: "s".into(),
            exp: far_future(),
        };
        let token = encode(&Header::new(ALGORITHM), &claims, store.encoding_key(DEV_KID).unwrap()).unwrap();
        let got = decode::<Claims>(&token, &remote, &Validation::new(ALGORITHM)).unwrap();
        assert_eq!(got.claims, claims);
    }

    #[test]
    fn pkcs1_and_pkcs8_and_public_forms_give_the_same_public_key() {
        let pkcs8 = dev_pem();
        let private = RsaPrivateKey::from_pkcs8_pem(&pkcs8).unwrap();
        let pkcs1 = private.to_pkcs1_pem(LineEnding::LF).unwrap().to_string();
        let public = rsa::pkcs8::EncodePublicKey::to_public_key_pem(&private.to_public_key(), LineEnding::LF).unwrap();

        let mut store = KeyStore::new();
        store.add_pem("a8", &pkcs8).unwrap();
        store.add_pem("b1", &pkcs1).unwrap();
        store.add_pem("c-pub", &public).unwrap();

        let n = |kid| match &store.jwk(kid).unwrap().algorithm {
            AlgorithmParameters::RSA(p) => p.n.clone(),
            other => panic!("not RSA: {other:?}"),
        };
        assert_eq!(n("a8"), n("b1"));
        assert_eq!(n("a8"), n("c-pub"));
        assert!(store.encoding_key("b1").is_some());
        assert!(store.encoding_key("c-pub").is_none(), "public key cannot sign");
        assert!(store.decoding_key("c-pub").is_some());
    }

    #[test]
    fn default_kid_skips_public_only_keys_and_can_be_configured() {
        let private = RsaPrivateKey::from_pkcs8_pem(&dev_pem()).unwrap();
        let public = rsa::pkcs8::EncodePublicKey::to_public_key_pem(&private.to_public_key(), LineEnding::LF).unwrap();
        let mut store = KeyStore::from_pem("b-private", &dev_pem()).unwrap();
        store.add_pem("a-public", &public).unwrap();
        store.add_pem("c-private", &dev_pem()).unwrap();
        assert_eq!(store.default_kid(), Some("b-private"));

        let store = store.with_default_kid("c-private").unwrap();
        assert_eq!(store.default_kid(), Some("c-private"));
        assert!(matches!(
            store.clone().with_default_kid("a-public"),
            Err(KeyStoreError::UnknownKid(_))
        ));
        assert!(matches!(
            store.with_default_kid("nope"),
            Err(KeyStoreError::UnknownKid(_))
        ));
    }

    #[test]
    fn from_json_loads_keys_and_names_the_bad_kid() {
        let json = serde_json::json!({ DEV_KID: dev_pem() }).to_string();
        let store = KeyStore::from_json(&json).unwrap();
        assert!(store.encoding_key(DEV_KID).is_some());

        let json = serde_json::json!({ DEV_KID: dev_pem(), "broken": "hello" }).to_string();
        let err = KeyStore::from_json(&json).unwrap_err().to_string();
        assert!(err.contains("\"broken\"") && err.contains("not a PEM RSA key"), "{err}");

        assert!(matches!(KeyStore::from_json("[]"), Err(KeyStoreError::Json(_))));
        assert!(matches!(KeyStore::from_json("{}"), Err(KeyStoreError::Empty(_))));
    }

    #[test]
    fn from_dir_ignores_other_files_and_names_the_bad_file() {
        let dir = TempDir::new("bad");
        std::fs::write(dir.0.join("README.md"), "not a key").unwrap();
        assert!(matches!(KeyStore::from_dir(&dir.0), Err(KeyStoreError::Empty(_))));

        std::fs::write(dir.0.join("good.pem"), dev_pem()).unwrap();
        let store = KeyStore::from_dir(&dir.0).unwrap();
        assert_eq!(store.kids().collect::<Vec<_>>(), vec!["good"]);

        // Truncated PEM: the error must name the file, not just "bad key".
        std::fs::write(dir.0.join("bad.pem"), &dev_pem()[..200]).unwrap();
        let err = KeyStore::from_dir(&dir.0).unwrap_err().to_string();
        assert!(err.contains("bad.pem") && err.contains("\"bad\""), "{err}");

        let missing = dir.0.join("missing");
        assert!(matches!(
            KeyStore::from_dir(missing),
            Err(KeyStoreError::ReadDir { .. })
        ));
    }

    #[test]
    fn rejects_bad_kids_small_keys_and_encrypted_keys() {
        let err = KeyStore::from_pem("has space", &dev_pem()).unwrap_err().to_string();
        assert!(err.contains("kid must be"), "{err}");
        assert!(!is_valid_kid(""));
        assert!(!is_valid_kid(&"a".repeat(129)));
        assert!(is_valid_kid(DEV_KID));

        // 1024 bits: generated directly, since `generate_private_key_pem` refuses it.
        let small = RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap();
        let small = small.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
        let err = KeyStore::from_pem("small", &small).unwrap_err().to_string();
        assert!(err.contains("1024 bits"), "{err}");
        assert!(generate_private_key_pem(1024).is_err());

        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----";
        let err = KeyStore::from_pem("enc", encrypted).unwrap_err().to_string();
        assert!(err.contains("encrypted"), "{err}");
    }

    #[test]
    fn debug_output_never_contains_key_material() {
        let store = KeyStore::from_pem(DEV_KID, &dev_pem()).unwrap();
        let text = format!("{store:?}");
        assert!(text.contains(DEV_KID));
        let n = store.jwks()["keys"][0]["n"].as_str().unwrap().to_string();
        assert!(!text.contains(&n[..20]));
        assert!(text.len() < 200, "{text}");
    }
}
