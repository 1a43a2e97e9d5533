//! The JSON-RPC client (spec `attestation.md` §8.5, §8.7): one URL, canonical JSON
//! request bodies, a per-client request id, timeouts, the original's parsing of submit
//! and tx answers, optional exchange records, and the calls autofill needs
//! (`account_info`, `fee`, `ledger`).

use std::time::Duration;

use attest_verify::canonical;
use attest_verify::digest::Digest;
use attest_verify::json::{self, Map, Value};
use attest_witness::{ExchangeRecord, SubmitResult, TransportError, TxStatus, XrplClient};

use crate::codec::parse_drops;
use crate::error::Error;

/// Largest response body read (rippled answers are a few KiB).
const MAX_RESPONSE_BYTES: u64 = 4 << 20;

/// Client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcConfig {
    /// The JSON-RPC endpoint, e.g. `http://127.0.0.1:5005` (`https://` needs the `tls`
    /// feature).
    pub url: String,
    /// Timeout of one whole request (connect, send, receive); the original uses 30 s.
    pub timeout: Duration,
    /// Keep an exchange record (and bodies) of every request, as the original's
    /// recording transport does; its content digest becomes the `exchange_digest`.
    pub record_exchanges: bool,
    /// Ask for API version 2 in `tx` requests (so the close time is returned).
    pub api_version_2: bool,
}

impl RpcConfig {
    /// Defaults: 30-second timeout, no recording, API version 2 for `tx`.
    pub fn new(url: impl Into<String>) -> RpcConfig {
        RpcConfig { url: url.into(), timeout: Duration::from_secs(30), record_exchanges: false, api_version_2: true }
    }
}

/// One recorded exchange: the record and the bodies it digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The record (`request_digest`, `response_digest`, `timestamp`).
    pub record: ExchangeRecord,
    /// `record.content_digest()`, the value receipts carry.
    pub content_digest: String,
    /// The canonical JSON of `{"url", "payload"}` (what `request_digest` hashes).
    pub request_body: Vec<u8>,
    /// The raw response body (what `response_digest` hashes).
    pub response_body: Vec<u8>,
}

/// A validated transaction as the `tx` call returns it (for the memo and result checks
/// of a confirmation).
#[derive(Debug, Clone, PartialEq)]
pub struct LookedUpTx {
    /// The queried hash.
    pub hash: String,
    /// The `result` object of the answer (the transaction's fields, `meta`, …).
    pub result: Value,
}

/// A synchronous JSON-RPC client over HTTP (ureq).
pub struct JsonRpcClient {
    agent: ureq::Agent,
    config: RpcConfig,
    next_id: i64,
    exchanges: Vec<Exchange>,
    last_tx: Option<LookedUpTx>,
}

impl std::fmt::Debug for JsonRpcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonRpcClient").field("config", &self.config).field("next_id", &self.next_id).finish()
    }
}

impl JsonRpcClient {
    /// A client for `config`. No request is made until a call.
    pub fn new(config: RpcConfig) -> JsonRpcClient {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        JsonRpcClient { agent, config, next_id: 1, exchanges: Vec::new(), last_tx: None }
    }

    /// The settings.
    pub fn config(&self) -> &RpcConfig {
        &self.config
    }

    /// Recorded exchanges, oldest first (empty unless `record_exchanges`).
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// Remove and return the recorded exchanges, oldest first: a long-running caller
    /// drains them (to its own store, or to nothing) so that memory stays bounded.
    pub fn take_exchanges(&mut self) -> Vec<Exchange> {
        std::mem::take(&mut self.exchanges)
    }

    /// The last transaction `get_tx` found (validated or not).
    pub fn last_tx(&self) -> Option<&LookedUpTx> {
        self.last_tx.as_ref()
    }

    /// POST `{"method", "params": [params], "id"}` and return the parsed response and
    /// the exchange digest when recording. The body sent is the canonical JSON of the
    /// payload. HTTP status ≥ 400, an unreadable body and no answer are errors.
    pub fn call(&mut self, method: &str, params: Value) -> Result<(Value, Option<String>), TransportError> {
        let mut payload = Map::with_capacity(3);
        payload.insert("method", Value::str(method));
        payload.insert("params", Value::Array(vec![params]));
        payload.insert("id", Value::int(self.next_id));
        self.next_id = self.next_id.saturating_add(1);
        let payload = Value::Object(payload);
        let body = canonical::to_string(&payload).map_err(|e| plain(e.to_string()))?;
        let response = self
            .agent
            .post(self.config.url.as_str())
            .header("Content-Type", "application/json")
            .send(body.as_str())
            .map_err(transport)?;
        let status = response.status().as_u16();
        let bytes = response.into_body().with_config().limit(MAX_RESPONSE_BYTES).read_to_vec().map_err(transport)?;
        if status >= 400 {
            return Err(plain(format!("http status {status}")));
        }
        let digest = self.config.record_exchanges.then(|| self.record(payload, bytes.clone()));
        let value = json::parse_bytes(&bytes).map_err(|e| plain(format!("invalid json response: {e}")))?;
        Ok((value, digest))
    }

    /// `account_info` (validated ledger): the account's next `Sequence`.
    pub fn account_sequence(&mut self, account: &str) -> Result<u32, Error> {
        let mut p = Map::new();
        p.insert("account", Value::str(account));
        p.insert("ledger_index", Value::str("current"));
        let r = self.result_of("account_info", Value::Object(p))?;
        r.get("account_data")
            .and_then(|a| a.get("Sequence"))
            .and_then(Value::as_i64)
            .and_then(|s| u32::try_from(s).ok())
            .ok_or_else(|| Error::Rpc("account_info answer has no Sequence".into()))
    }

    /// `fee`: the open-ledger cost in drops (at least the base fee).
    pub fn fee_drops(&mut self) -> Result<u64, Error> {
        let r = self.result_of("fee", Value::Object(Map::new()))?;
        let drops = |k: &str| r.get("drops").and_then(|d| d.get(k)).and_then(Value::as_str).and_then(parse_drops);
        match (drops("base_fee"), drops("open_ledger_fee")) {
            (Some(b), Some(o)) => Ok(b.max(o)),
            (Some(x), None) | (None, Some(x)) => Ok(x),
            (None, None) => Err(Error::Rpc("fee answer has no drops".into())),
        }
    }

    /// `ledger` (validated): the latest validated ledger index.
    pub fn validated_ledger_index(&mut self) -> Result<u32, Error> {
        let mut p = Map::new();
        p.insert("ledger_index", Value::str("validated"));
        let r = self.result_of("ledger", Value::Object(p))?;
        r.get("ledger_index")
            .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| Error::Rpc("ledger answer has no ledger_index".into()))
    }

    fn result_of(&mut self, method: &str, params: Value) -> Result<Value, Error> {
        let (v, _) = self.call(method, params).map_err(|e| Error::Rpc(format!("{method}: {e}")))?;
        let result = v.get("result").cloned().unwrap_or(Value::Object(Map::new()));
        if result.get("status").and_then(Value::as_str) == Some("error") {
            let what = error_text(&result).unwrap_or_else(|| "unknown server error".into());
            return Err(Error::Rpc(format!("{method}: {what}")));
        }
        Ok(result)
    }

    fn record(&mut self, payload: Value, response_body: Vec<u8>) -> String {
        let mut envelope = Map::with_capacity(2);
        envelope.insert("url", Value::str(self.config.url.as_str()));
        envelope.insert("payload", payload);
        let request_body = canonical::to_bytes(&Value::Object(envelope)).unwrap_or_default();
        let record = ExchangeRecord::new(
            &Digest::of(&request_body).to_prefixed(),
            &Digest::of(&response_body).to_prefixed(),
            &crate::anchor::now_utc(),
        );
        let content_digest = record.content_digest();
        self.exchanges.push(Exchange { record, content_digest: content_digest.clone(), request_body, response_body });
        content_digest
    }
}

impl XrplClient for JsonRpcClient {
    fn submit(&mut self, signed_tx_blob_hex: &str) -> Result<SubmitResult, TransportError> {
        let mut p = Map::new();
        p.insert("tx_blob", Value::str(signed_tx_blob_hex));
        let (v, exchange_digest) = self.call("submit", Value::Object(p))?;
        Ok(SubmitResult { exchange_digest, ..parse_submit(&v) })
    }

    fn get_tx(&mut self, tx_hash: &str) -> Result<TxStatus, TransportError> {
        let mut p = Map::new();
        p.insert("transaction", Value::str(tx_hash));
        p.insert("binary", Value::Bool(false));
        if self.config.api_version_2 {
            p.insert("api_version", Value::int(2));
        }
        let (v, exchange_digest) = self.call("tx", Value::Object(p))?;
        let status = parse_tx(&v);
        if status.found {
            let result = v.get("result").cloned().unwrap_or(Value::Object(Map::new()));
            self.last_tx = Some(LookedUpTx { hash: tx_hash.to_owned(), result });
        }
        Ok(TxStatus { exchange_digest, ..status })
    }
}

/// Parse a submit answer as the original does (spec §8.5).
pub fn parse_submit(response: &Value) -> SubmitResult {
    let empty = Value::Object(Map::new());
    let r = response.get("result").filter(|r| r.as_object().is_some()).unwrap_or(&empty);
    if r.get("status").and_then(Value::as_str) == Some("error") {
        return SubmitResult {
            accepted: false,
            error_code: Some("SERVER_ERROR".into()),
            detail: Some(error_text(r).unwrap_or_else(|| "unknown server error".into())),
            ..SubmitResult::default()
        };
    }
    let Some(er) = r.get("engine_result").and_then(Value::as_str) else {
        return SubmitResult {
            accepted: false,
            error_code: Some("SERVER_ERROR".into()),
            detail: Some("no engine_result in submit response".into()),
            ..SubmitResult::default()
        };
    };
    let tx_hash =
        r.get("tx_json").filter(|t| t.as_object().is_some()).and_then(|t| t.get("hash")).and_then(Value::as_str);
    let accepted = r.get("accepted").is_some_and(Value::is_truthy) || er == "tesSUCCESS" || er.starts_with("ter");
    SubmitResult {
        accepted,
        tx_hash: tx_hash.map(str::to_owned),
        engine_result: Some(er.to_owned()),
        detail: r.get("engine_result_message").and_then(Value::as_str).map(str::to_owned),
        ..SubmitResult::default()
    }
}

/// Parse a tx answer as the original does (spec §8.5): `ledger_close_time` is
/// `close_time_iso`, which rippled returns under API version 2.
pub fn parse_tx(response: &Value) -> TxStatus {
    let empty = Value::Object(Map::new());
    let r = response.get("result").filter(|r| r.as_object().is_some()).unwrap_or(&empty);
    if r.get("status").and_then(Value::as_str) == Some("error") {
        if r.get("error").and_then(Value::as_str) == Some("txnNotFound") {
            return TxStatus::default();
        }
        return TxStatus { error_code: Some("SERVER_ERROR".into()), detail: error_text(r), ..TxStatus::default() };
    }
    let validated = r.get("validated").is_some_and(Value::is_truthy);
    TxStatus {
        found: true,
        validated,
        ledger_index: if validated { r.get("ledger_index").and_then(Value::as_i64) } else { None },
        engine_result: r
            .get("meta")
            .filter(|m| m.as_object().is_some())
            .and_then(|m| m.get("TransactionResult"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        ledger_close_time: r.get("close_time_iso").and_then(Value::as_str).map(str::to_owned),
        ..TxStatus::default()
    }
}

/// The transaction fields of a `tx` answer: under `tx_json` in API v2, at the top level
/// in v1.
pub fn tx_fields(result: &Value) -> &Value {
    result.get("tx_json").filter(|t| t.as_object().is_some()).unwrap_or(result)
}

fn error_text(r: &Value) -> Option<String> {
    let truthy = |k: &str| r.get(k).filter(|v| v.is_truthy()).and_then(Value::as_str).map(str::to_owned);
    truthy("error_message").or_else(|| truthy("error"))
}

fn plain(message: String) -> TransportError {
    TransportError { timeout: false, message }
}

fn transport(e: ureq::Error) -> TransportError {
    let timeout = matches!(e, ureq::Error::Timeout(_))
        || matches!(&e, ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut);
    TransportError { timeout, message: e.to_string() }
}
