//! Exchange records (what went over the wire to the XRPL node, by digest), the
//! [`ExchangeStore`] narratives read, and an in-memory store (spec `attestation.md` §8.7).

use std::collections::BTreeMap;

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{Map, Value};

use crate::error::ExchangeError;
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
