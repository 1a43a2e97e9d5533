//! A fake rippled: an HTTP/1.1 JSON-RPC server on a local port that decodes each
//! submitted blob and checks its signature before answering, keeps a tiny ledger
//! (account sequences, applied transactions) and misbehaves on request.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use attest_verify::json::{self, Map, Value};
use attest_xrpl::{check_signed_blob, Field, FieldValue};

/// How the server treats submits.
#[derive(Debug, Clone, Default)]
pub(crate) struct Behaviour {
    /// Engine results to answer (without applying) for the first submits, in order.
    pub refuse_first: Vec<&'static str>,
    /// For the first submits: apply (or not), then drop the connection without answering.
    pub drop_first: Vec<bool>,
    /// For the first submits: apply, then answer only after this long.
    pub delay_first: Vec<Duration>,
    /// Apply with this engine result instead of `tesSUCCESS` (e.g. a `tec`).
    pub apply_result: Option<&'static str>,
    /// Lookups answered "not validated" before a transaction is validated; `None`: never.
    pub validate_after: Option<u32>,
    /// Replace the memo data in tx answers (a validated transaction that is not ours).
    pub fake_memo: bool,
    /// Each `ledger` call advances the validated ledger by this much.
    pub ledger_step: u32,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub behaviour: Behaviour,
    pub sequences: BTreeMap<String, u32>,
    /// hash → (tx JSON, engine result, lookups so far, ledger index)
    pub applied: BTreeMap<String, (Value, String, u32, u32)>,
    pub submits: u32,
    pub bad_signatures: u32,
    pub ledger: u32,
    pub methods: Vec<String>,
}

pub(crate) struct FakeRippled {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeRippled {
    pub(crate) fn start(behaviour: Behaviour, accounts: &[(&str, u32)]) -> FakeRippled {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            behaviour,
            sequences: accounts.iter().map(|(a, s)| ((*a).to_owned(), *s)).collect(),
            ledger: 100,
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        FakeRippled { url, state }
    }

    /// Applied transactions whose memo data equals `memo_hex` (case-insensitive).
    pub(crate) fn anchors_of(&self, memo_hex: &str) -> usize {
        let s = self.state.lock().unwrap();
        s.applied.values().filter(|(tx, ..)| memo_of(tx).is_some_and(|m| m.eq_ignore_ascii_case(memo_hex))).count()
    }
}

fn memo_of(tx: &Value) -> Option<&str> {
    tx.get("Memos")?.as_array()?.first()?.get("Memo")?.get("MemoData")?.as_str()
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) {
    let Some(body) = read_request(&mut stream) else { return };
    let Ok(request) = json::parse_bytes(&body) else { return };
    let method = request.get("method").and_then(Value::as_str).unwrap_or("").to_owned();
    let params =
        request.get("params").and_then(Value::as_array).and_then(<[Value]>::first).cloned().unwrap_or(Value::Null);
    let (result, action) = handle(state, &method, &params);
    match action {
        Action::Answer => {}
        Action::Drop => return, // the connection closes without an answer
        Action::Delay(d) => thread::sleep(d),
    }
    let mut envelope = Map::new();
    envelope.insert("result", result);
    let text = attest_verify::canonical::to_display_string(&Value::Object(envelope), None);
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

enum Action {
    Answer,
    Drop,
    Delay(Duration),
}

fn read_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(*k, v.clone());
    }
    Value::Object(m)
}

fn engine(er: &str, hash: Option<&str>, accepted: bool) -> Value {
    let mut pairs = vec![
        ("engine_result", Value::str(er)),
        ("engine_result_message", Value::str(format!("{er} message"))),
        ("accepted", Value::Bool(accepted)),
        ("status", Value::str("success")),
    ];
    if let Some(h) = hash {
        pairs.push(("tx_json", obj(&[("hash", Value::str(h))])));
    }
    obj(&pairs)
}

fn error(e: &str, message: &str) -> Value {
    obj(&[("status", Value::str("error")), ("error", Value::str(e)), ("error_message", Value::str(message))])
}

fn handle(state: &Mutex<State>, method: &str, params: &Value) -> (Value, Action) {
    let mut s = state.lock().unwrap();
    s.methods.push(method.to_owned());
    match method {
        "account_info" => {
            let account = params.get("account").and_then(Value::as_str).unwrap_or("");
            match s.sequences.get(account) {
                Some(seq) => (
                    obj(&[
                        ("account_data", obj(&[("Sequence", Value::int(i64::from(*seq)))])),
                        ("status", Value::str("success")),
                    ]),
                    Action::Answer,
                ),
                None => (error("actNotFound", "Account not found."), Action::Answer),
            }
        }
        "fee" => (
            obj(&[("drops", obj(&[("base_fee", Value::str("10")), ("open_ledger_fee", Value::str("12"))]))]),
            Action::Answer,
        ),
        "ledger" => {
            let step = s.behaviour.ledger_step;
            s.ledger += step;
            (
                obj(&[("ledger_index", Value::int(i64::from(s.ledger))), ("validated", Value::Bool(true))]),
                Action::Answer,
            )
        }
        "submit" => submit(&mut s, params),
        "tx" => {
            let hash = params.get("transaction").and_then(Value::as_str).unwrap_or("").to_owned();
            let validate_after = s.behaviour.validate_after;
            let fake_memo = s.behaviour.fake_memo;
            let Some((tx, er, lookups, ledger)) = s.applied.get_mut(&hash) else {
                return (error("txnNotFound", "Transaction not found."), Action::Answer);
            };
            *lookups += 1;
            let validated = validate_after.is_some_and(|n| *lookups > n);
            let mut tx_json = tx.clone();
            if fake_memo {
                if let Value::Object(m) = &mut tx_json {
                    m.insert(
                        "Memos",
                        json::parse(r#"[{"Memo":{"MemoType":"6E657875732E617474657374","MemoData":"00"}}]"#).unwrap(),
                    );
                }
            }
            let mut pairs = vec![
                ("hash", Value::str(hash.as_str())),
                ("tx_json", tx_json),
                ("meta", obj(&[("TransactionResult", Value::str(er.as_str()))])),
                ("validated", Value::Bool(validated)),
                ("status", Value::str("success")),
            ];
            if validated {
                pairs.push(("ledger_index", Value::int(i64::from(*ledger))));
                pairs.push(("close_time_iso", Value::str("2025-01-15T12:00:03Z")));
            }
            (obj(&pairs), Action::Answer)
        }
        _ => (error("unknownCmd", "Unknown method."), Action::Answer),
    }
}

fn submit(s: &mut State, params: &Value) -> (Value, Action) {
    let n = s.submits as usize;
    s.submits += 1;
    let blob = params.get("tx_blob").and_then(Value::as_str).unwrap_or("");
    let Ok((tx, hash)) = check_signed_blob(blob) else {
        s.bad_signatures += 1;
        return (error("invalidTransaction", "fails local checks: Invalid signature."), Action::Answer);
    };
    if let Some(er) = s.behaviour.refuse_first.get(n) {
        return (engine(er, Some(&hash), false), Action::Answer);
    }
    let action = match (s.behaviour.drop_first.get(n), s.behaviour.delay_first.get(n)) {
        (Some(false), _) => return (Value::Null, Action::Drop), // lost before applying
        (Some(true), _) => Action::Drop,
        (None, Some(d)) => Action::Delay(*d),
        (None, None) => Action::Answer,
    };
    let fee = match tx.get(Field::Fee) {
        Some(FieldValue::Drops(d)) => *d,
        _ => 0,
    };
    if fee == 0 {
        return (engine("temBAD_FEE", Some(&hash), false), Action::Answer);
    }
    let json = tx.to_json();
    let account = json.get("Account").and_then(Value::as_str).unwrap_or("").to_owned();
    let seq = json.get("Sequence").and_then(Value::as_i64).unwrap_or(0);
    if s.applied.contains_key(&hash) {
        return (engine("tefALREADY", Some(&hash), false), action);
    }
    let Some(expected) = s.sequences.get(&account).copied() else {
        return (engine("terNO_ACCOUNT", Some(&hash), false), action);
    };
    if seq < i64::from(expected) {
        return (engine("tefPAST_SEQ", Some(&hash), false), action);
    }
    if seq > i64::from(expected) {
        return (engine("terPRE_SEQ", Some(&hash), false), action);
    }
    let er = s.behaviour.apply_result.unwrap_or("tesSUCCESS").to_owned();
    s.sequences.insert(account, expected + 1);
    let ledger = s.ledger + 1;
    s.applied.insert(hash.clone(), (json, er.clone(), 0, ledger));
    (engine(&er, Some(&hash), true), action)
}
