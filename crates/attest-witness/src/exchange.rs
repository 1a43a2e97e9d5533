//! Exchange records (what went over the wire to the XRPL node, by digest), the
//! [`ExchangeStore`] narratives read, and an in-memory store (spec `attestation.md` §8.7).

use std::collections::BTreeMap;

use attest_store::{RecordWrite, Store, StoreError};

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{Map, Value};

use crate::error::ExchangeError;
use crate::hex;
use crate::pattern::{is_sha256_digest, Validation};

/// One request/response exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRecord {
    /// `sha256:` over the canonical JSON of `{"url", "payload"}` of the request.
    pub request_digest: String,
    /// `sha256:` over the raw response body bytes.
    pub response_digest: String,
    /// When the exchange happened (metadata, outside the content digest).
    pub timestamp: String,
    /// When it was stored (defaults to `timestamp`).
    pub created_at: String,
}

impl ExchangeRecord {
    /// A record stored at its own timestamp.
    pub fn new(request_digest: &str, response_digest: &str, timestamp: &str) -> ExchangeRecord {
        ExchangeRecord {
            request_digest: request_digest.to_owned(),
            response_digest: response_digest.to_owned(),
            timestamp: timestamp.to_owned(),
            created_at: timestamp.to_owned(),
        }
    }

    /// The content digest: `sha256:` + SHA-256 of the canonical JSON of
    /// `{"request_digest", "response_digest"}` (independent of the timestamp). This is
    /// the value receipts carry as `xrpl.submit.exchange` / `xrpl.tx.exchange` evidence.
    pub fn content_digest(&self) -> String {
        let mut m = Map::with_capacity(2);
        m.insert("request_digest", Value::str(self.request_digest.as_str()));
        m.insert("response_digest", Value::str(self.response_digest.as_str()));
        // Only strings: the canonical writer cannot fail.
        canonical::digest(&Value::Object(m)).map(|d| d.to_prefixed()).unwrap_or_default()
    }
}

/// What a narrative needs from an exchange store. Implementations never panic.
pub trait ExchangeStore {
    /// The record stored under `content_digest`.
    fn get(&self, content_digest: &str) -> Option<ExchangeRecord>;

    /// Whether a record is stored under `content_digest`.
    fn exists(&self, content_digest: &str) -> bool {
        self.get(content_digest).is_some()
    }

    /// The body stored under `digest` (a request or response digest).
    fn body(&self, digest: &str) -> Option<Vec<u8>>;

    /// Whether a body is stored under `digest`.
    fn body_exists(&self, digest: &str) -> bool {
        self.body(digest).is_some()
    }
}

/// An in-memory exchange store: records by content digest, bodies by their digest.
#[derive(Debug, Clone, Default)]
pub struct MemoryExchangeStore {
    records: BTreeMap<String, ExchangeRecord>,
    bodies: BTreeMap<String, Vec<u8>>,
}

impl MemoryExchangeStore {
    /// An empty store.
    pub fn new() -> MemoryExchangeStore {
        MemoryExchangeStore::default()
    }

    /// Store `record` under its content digest and return that digest. Putting a record
    /// that is already stored is a no-op (the first timestamp wins).
    pub fn put(&mut self, record: ExchangeRecord) -> String {
        let digest = record.content_digest();
        self.records.entry(digest.clone()).or_insert(record);
        digest
    }

    /// Store a body under `digest`, which must be `sha256:` + 64 lower-case hex and the
    /// SHA-256 of `body` (the original checks neither). An existing body is never
    /// overwritten. Returns whether the body was new.
    pub fn put_body(&mut self, digest: &str, body: &[u8]) -> Result<bool, ExchangeError> {
        if !is_sha256_digest(digest, Validation::Strict) {
            return Err(ExchangeError::InvalidDigest(digest.to_owned()));
        }
        if Digest::of(body).to_prefixed() != digest {
            return Err(ExchangeError::BodyMismatch(digest.to_owned()));
        }
        if self.bodies.contains_key(digest) {
            return Ok(false);
        }
        self.bodies.insert(digest.to_owned(), body.to_vec());
        Ok(true)
    }

    /// Store a body under `digest` without checking that it hashes to it — only for
    /// modelling a store written by other means (a tampered blob).
    pub fn put_body_unchecked(&mut self, digest: &str, body: &[u8]) {
        self.bodies.entry(digest.to_owned()).or_insert_with(|| body.to_vec());
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl ExchangeStore for MemoryExchangeStore {
    fn get(&self, content_digest: &str) -> Option<ExchangeRecord> {
        self.records.get(content_digest).cloned()
    }

    fn exists(&self, content_digest: &str) -> bool {
        self.records.contains_key(content_digest)
    }

    fn body(&self, digest: &str) -> Option<Vec<u8>> {
        self.bodies.get(digest).cloned()
    }

    fn body_exists(&self, digest: &str) -> bool {
        self.bodies.contains_key(digest)
    }
}

/// The record namespace of exchange records, keyed by content digest.
pub const EXCHANGE_NAMESPACE: &str = "witness.exchange";
/// The record namespace of exchange bodies, keyed by their `sha256:` digest; the value
/// is `{"hex": <the body, lower-case hex>}`.
pub const EXCHANGE_BODY_NAMESPACE: &str = "witness.exchange.body";

/// Exchange records and bodies persisted through a [`Store`] (the same database as the
/// decisions and the queue). Nothing is ever a file path, so no body can be written or
/// read outside the store; a body is accepted only under the digest it hashes to, and
/// records and bodies are written once (the first wins).
#[derive(Debug, Clone)]
pub struct PersistentExchangeStore<S> {
    store: S,
}

impl<S: Store> PersistentExchangeStore<S> {
    /// An exchange store over `store`.
    pub fn new(store: S) -> PersistentExchangeStore<S> {
        PersistentExchangeStore { store }
    }

    /// Store `record` under its content digest and return that digest; a record already
    /// stored is kept.
    pub fn put(&self, record: &ExchangeRecord) -> Result<String, ExchangeError> {
        let digest = record.content_digest();
        let mut m = Map::with_capacity(4);
        m.insert("request_digest", Value::str(record.request_digest.as_str()));
        m.insert("response_digest", Value::str(record.response_digest.as_str()));
        m.insert("timestamp", Value::str(record.timestamp.as_str()));
        m.insert("created_at", Value::str(record.created_at.as_str()));
        create(&self.store, EXCHANGE_NAMESPACE, &digest, &Value::Object(m))?;
        Ok(digest)
    }

    /// Store a body under `digest`, which must be `sha256:` + 64 lower-case hex and the
    /// SHA-256 of `body`. Returns whether the body was new.
    pub fn put_body(&self, digest: &str, body: &[u8]) -> Result<bool, ExchangeError> {
        if !is_sha256_digest(digest, Validation::Strict) {
            return Err(ExchangeError::InvalidDigest(digest.to_owned()));
        }
        if Digest::of(body).to_prefixed() != digest {
            return Err(ExchangeError::BodyMismatch(digest.to_owned()));
        }
        let mut m = Map::with_capacity(1);
        m.insert("hex", Value::String(hex::encode(body)));
        create(&self.store, EXCHANGE_BODY_NAMESPACE, digest, &Value::Object(m))
    }

    fn read(&self, namespace: &str, key: &str) -> Option<Value> {
        self.store.record(namespace, key).ok().flatten().map(|r| r.value)
    }
}

/// Create `namespace`/`key` unless it exists; whether it was created.
fn create<S: Store>(store: &S, namespace: &str, key: &str, value: &Value) -> Result<bool, ExchangeError> {
    match store.put_record(namespace, key, RecordWrite { value, expected_version: Some(0), log: &[] }) {
        Ok(_) => Ok(true),
        Err(StoreError::RecordConflict { .. }) => Ok(false),
        Err(e) => Err(ExchangeError::Store(e.to_string())),
    }
}

impl<S: Store> ExchangeStore for PersistentExchangeStore<S> {
    /// The record, when stored and well formed (a damaged record reads as absent).
    fn get(&self, content_digest: &str) -> Option<ExchangeRecord> {
        let v = self.read(EXCHANGE_NAMESPACE, content_digest)?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let record = ExchangeRecord {
            request_digest: text("request_digest")?,
            response_digest: text("response_digest")?,
            timestamp: text("timestamp")?,
            created_at: text("created_at")?,
        };
        Some(record)
    }

    /// The body as stored; the narrative recomputes its digest, so a body changed in
    /// the database is reported, not trusted.
    fn body(&self, digest: &str) -> Option<Vec<u8>> {
        let v = self.read(EXCHANGE_BODY_NAMESPACE, digest)?;
        hex::decode(v.get("hex").and_then(Value::as_str)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_digest_and_bodies() {
        let body = br#"{"result":{"engine_result":"tesSUCCESS"}}"#;
        let response = Digest::of(body).to_prefixed();
        let record = ExchangeRecord::new(&Digest::of(b"req").to_prefixed(), &response, "2025-01-15T12:00:01+00:00");
        let mut store = MemoryExchangeStore::new();
        let d = store.put(record.clone());
        assert_eq!(d, record.content_digest());
        assert!(store.exists(&d));
        assert_eq!(store.put_body(&response, body), Ok(true));
        assert_eq!(store.put_body(&response, body), Ok(false));
        assert!(store.body_exists(&response));
        let other = Digest::of(b"x").to_prefixed();
        assert_eq!(store.put_body(&other, body).unwrap_err().code(), "EXCHANGE_BODY_MISMATCH");
        assert_eq!(store.put_body("sha256:../../x", body).unwrap_err().code(), "EXCHANGE_INVALID_DIGEST");
    }
}

#[cfg(test)]
mod persistent_tests {
    use attest_store::MemoryStore;

    use super::*;

    #[test]
    fn records_and_bodies_round_trip_once_and_checked() {
        let store = PersistentExchangeStore::new(MemoryStore::new());
        let request = br#"{"payload":{"method":"submit"},"url":"http://node"}"#;
        let response = br#"{"result":{"status":"success"}}"#;
        let (rq, rs) = (Digest::of(request).to_prefixed(), Digest::of(response).to_prefixed());
        let record = ExchangeRecord::new(&rq, &rs, "2025-01-15T12:00:00+00:00");
        let digest = store.put(&record).unwrap();
        assert_eq!(digest, record.content_digest());
        assert_eq!(store.get(&digest), Some(record.clone()));
        // the first record wins
        let later = ExchangeRecord::new(&rq, &rs, "2030-01-01T00:00:00+00:00");
        assert_eq!(store.put(&later).unwrap(), digest);
        assert_eq!(store.get(&digest).map(|r| r.timestamp), Some(record.timestamp));

        assert_eq!(store.put_body(&rq, request), Ok(true));
        assert_eq!(store.put_body(&rq, request), Ok(false));
        assert_eq!(store.body(&rq).as_deref(), Some(&request[..]));
        assert!(!store.body_exists(&rs));
        assert_eq!(store.put_body(&rs, request), Err(ExchangeError::BodyMismatch(rs.clone())));
        assert!(!store.body_exists(&rs));
        let upper = rq.to_ascii_uppercase();
        assert_eq!(store.put_body(&upper, request).map_err(|e| e.code()), Err("EXCHANGE_INVALID_DIGEST"));
        assert_eq!(store.put_body("../../etc/passwd", request).map_err(|e| e.code()), Err("EXCHANGE_INVALID_DIGEST"));
        assert!(store.get("sha256:00").is_none());
    }
}
