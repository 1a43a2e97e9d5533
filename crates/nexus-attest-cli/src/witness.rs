//! `nexus-attest witness`: sign the XRP Ledger witness transaction of an attestation
//! intent offline (`sign`), or sign, submit and confirm it (`anchor`). Seeds come from a
//! file or the environment, never from the command line, and are never printed.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use nexus_attest::events::{Clock, SystemClock};
use nexus_attest::verify::canonical;
use nexus_attest::verify::json::{self, Map, Value};
use nexus_attest::witness::{
    plan, AnchorPlan, Intent, PersistentExchangeStore, PersistentQueue, SignedTx, Validation, Worker, WorkerConfig,
    XrplSigner,
};
use nexus_attest::xrpl::{
    anchor, autofill, complete, sign as sign_tx, AccountId, AnchorOptions, JsonRpcClient, KeyType, Keypair, RpcConfig,
    Seed, TxParams, WalletSigner, WitnessKind,
};
use nexus_attest::Store;

/// The environment variable read when no `--seed-file` is given.
pub(crate) const SEED_ENV: &str = "NEXUS_ATTEST_XRPL_SEED";

/// The `witness` subcommands.
#[derive(Subcommand, Debug)]
pub(crate) enum WitnessCmd {
    /// Sign the witness transaction of an intent without touching the network; prints
    /// `tx_json`, `tx_blob` and `hash`.
    Sign(SignCmd),
    /// Sign, submit and confirm the witness transaction of an intent over JSON-RPC;
    /// prints the transaction hash and the receipts. Exit 0 only when confirmed.
    Anchor(AnchorCmd),
}

/// Options shared by `sign` and `anchor`.
#[derive(Args, Debug)]
pub(crate) struct KeyArgs {
    /// The attestation intent (a JSON file).
    #[arg(long)]
    intent: PathBuf,
    /// A file holding the family seed (`s…` or `sEd…`); without it the seed is read
    /// from the environment variable NEXUS_ATTEST_XRPL_SEED.
    #[arg(long)]
    seed_file: Option<PathBuf>,
    /// Key type to derive (a plain `s…` seed may derive either; default: the seed's).
    #[arg(long, value_enum)]
    key_type: Option<KeyTypeArg>,
    /// Anchor with a 1-drop Payment to this (existing, other) account instead of an
    /// AccountSet.
    #[arg(long)]
    payment_to: Option<String>,
}

/// `witness sign`.
#[derive(Args, Debug)]
pub(crate) struct SignCmd {
    #[command(flatten)]
    key: KeyArgs,
    /// The account's next Sequence.
    #[arg(long)]
    sequence: u32,
    /// The fee in drops.
    #[arg(long)]
    fee: u64,
    /// LastLedgerSequence.
    #[arg(long)]
    last_ledger: Option<u32>,
    /// NetworkID (only for networks whose id is above 1024).
    #[arg(long)]
    network_id: Option<u32>,
}

/// `witness anchor`.
#[derive(Args, Debug)]
pub(crate) struct AnchorCmd {
    #[command(flatten)]
    key: KeyArgs,
    /// The JSON-RPC endpoint, e.g. http://127.0.0.1:5005.
    #[arg(long)]
    rpc: String,
    /// Sequence (default: from account_info).
    #[arg(long)]
    sequence: Option<u32>,
    /// Fee in drops (default: the open-ledger fee from `fee`).
    #[arg(long)]
    fee: Option<u64>,
    /// LastLedgerSequence (default: the validated ledger + 20).
    #[arg(long)]
    last_ledger: Option<u32>,
    /// NetworkID (only for networks whose id is above 1024).
    #[arg(long)]
    network_id: Option<u32>,
    /// Refuse an autofilled fee above this many drops.
    #[arg(long, default_value_t = 1_000)]
    max_fee: u64,
    /// The receipts' attempt number.
    #[arg(long, default_value_t = 1)]
    attempt: i64,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Pause between transaction lookups, in milliseconds.
    #[arg(long, default_value_t = 1_000)]
    poll_interval_ms: u64,
    /// Lookups at most before giving up (DEFERRED).
    #[arg(long, default_value_t = 120)]
    max_polls: u32,
}

/// `--key-type`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyTypeArg {
    /// Ed25519.
    Ed25519,
    /// secp256k1.
    Secp256k1,
}

/// Run a `witness` subcommand. Exit codes: 0 success (anchor: confirmed), 1 the
/// witness was not confirmed or the node refused, 2 bad usage or unreadable input.
pub(crate) fn run(cmd: &WitnessCmd, json: bool) -> ExitCode {
    let result = match cmd {
        WitnessCmd::Sign(c) => sign(c, json),
        WitnessCmd::Anchor(c) => anchor_cmd(c, json),
    };
    match result {
        Ok(code) => code,
        Err(Fail(code, message)) => {
            eprintln!("nexus-attest: error: {message}");
            ExitCode::from(code)
        }
    }
}

struct Fail(u8, String);

fn usage(message: impl Into<String>) -> Fail {
    Fail(2, message.into())
}

struct Prepared {
    key: Keypair,
    plan: AnchorPlan,
    kind: WitnessKind,
}

fn prepare(args: &KeyArgs) -> Result<Prepared, Fail> {
    let text = std::fs::read_to_string(&args.intent)
        .map_err(|e| usage(format!("cannot read `{}`: {e}", args.intent.display())))?;
    let value = json::parse(&text).map_err(|e| usage(format!("`{}` is not JSON: {e}", args.intent.display())))?;
    let intent = Intent::from_value(&value, Validation::Strict).map_err(|e| usage(format!("invalid intent: {e}")))?;
    let key = keypair(args.seed_file.as_deref(), args.key_type)?;
    let account = key.account_id().to_address();
    let plan = plan(&intent, &account, "1").map_err(|e| usage(e.to_string()))?;
    let kind = match &args.payment_to {
        None => WitnessKind::AccountSet,
        Some(d) => WitnessKind::Payment { destination: AccountId::from_address(d).map_err(|e| usage(e.to_string()))? },
    };
    Ok(Prepared { key, plan, kind })
}

/// The key pair of the seed in `seed_file` (else the environment), as `key_type`.
fn keypair(seed_file: Option<&Path>, key_type: Option<KeyTypeArg>) -> Result<Keypair, Fail> {
    let mut seed = read_seed(seed_file)?;
    if let Some(kt) = key_type {
        let kt = match kt {
            KeyTypeArg::Ed25519 => KeyType::Ed25519,
            KeyTypeArg::Secp256k1 => KeyType::Secp256k1,
        };
        seed = seed.with_key_type(kt).map_err(|e| usage(e.to_string()))?;
    }
    Keypair::from_seed(&seed).map_err(|e| usage(e.to_string()))
}

/// The seed from `file`, else from the environment. Error messages never contain it.
fn read_seed(file: Option<&Path>) -> Result<Seed, Fail> {
    let text =
        match file {
            Some(f) => std::fs::read_to_string(f)
                .map_err(|e| usage(format!("cannot read seed file `{}`: {e}", f.display())))?,
            None => std::env::var(SEED_ENV)
                .map_err(|_| usage(format!("no seed: pass --seed-file FILE or set {SEED_ENV}")))?,
        };
    Seed::parse(&text).map_err(|e| usage(e.to_string()))
}

fn sign(c: &SignCmd, json: bool) -> Result<ExitCode, Fail> {
    let p = prepare(&c.key)?;
    let params = TxParams {
        fee_drops: c.fee,
        sequence: c.sequence,
        last_ledger_sequence: c.last_ledger,
        network_id: c.network_id,
    };
    let signer = WalletSigner::new(p.key, params);
    let tx = nexus_attest::xrpl::witness_json(&p.plan, p.kind).map_err(|e| usage(e.to_string()))?;
    let signed = signer.sign_tx(&tx).map_err(|e| usage(e.to_string()))?;
    if json {
        let mut m = Map::with_capacity(3);
        m.insert("tx_json", signed.tx_json);
        m.insert("tx_blob", Value::String(signed.tx_blob));
        m.insert("hash", Value::String(signed.hash));
        println!("{}", canonical::to_display_string(&Value::Object(m), Some(2)));
    } else {
        println!("hash     {}", signed.hash);
        println!("account  {}", p.plan.account);
        println!("memo     {}", p.plan.memo_digest);
        println!("tx_blob  {}", signed.tx_blob);
    }
    Ok(ExitCode::SUCCESS)
}

fn anchor_cmd(c: &AnchorCmd, json: bool) -> Result<ExitCode, Fail> {
    let p = prepare(&c.key)?;
    let mut config = RpcConfig::new(c.rpc.clone());
    config.timeout = Duration::from_secs(c.timeout_secs.max(1));
    config.record_exchanges = true;
    let mut client = JsonRpcClient::new(config);
    let params = match (c.sequence, c.fee, c.last_ledger) {
        (Some(sequence), Some(fee_drops), last_ledger_sequence) => {
            TxParams { fee_drops, sequence, last_ledger_sequence, network_id: c.network_id }
        }
        _ => {
            let filled = autofill(&mut client, &p.plan.account, c.max_fee).map_err(|e| Fail(1, e.to_string()))?;
            TxParams {
                fee_drops: c.fee.unwrap_or(filled.fee_drops),
                sequence: c.sequence.unwrap_or(filled.sequence),
                last_ledger_sequence: c.last_ledger.or(filled.last_ledger_sequence),
                network_id: c.network_id,
            }
        }
    };
    let signer = WalletSigner::new(p.key, params);
    let options = AnchorOptions {
        attempt: c.attempt,
        kind: p.kind,
        poll_interval: Duration::from_millis(c.poll_interval_ms),
        max_polls: c.max_polls,
        ..AnchorOptions::default()
    };
    let outcome = anchor(&p.plan, &mut client, &signer, &options, &nexus_attest::xrpl::now_utc)
        .map_err(|e| Fail(1, e.to_string()))?;
    let status = outcome.receipts.last().map_or("NONE", |r| r.status().as_str());
    if json {
        let mut m = Map::with_capacity(5);
        m.insert("status", Value::str(status));
        m.insert("tx_hash", Value::str(outcome.signed.hash.as_str()));
        m.insert("tx_blob", Value::str(outcome.signed.tx_blob.as_str()));
        m.insert("memo_digest", Value::str(p.plan.memo_digest.as_str()));
        m.insert("receipts", Value::Array(outcome.receipts.iter().map(|r| r.to_value()).collect()));
        println!("{}", canonical::to_display_string(&Value::Object(m), Some(2)));
    } else {
        println!("status   {status}");
        println!("tx_hash  {}", outcome.signed.hash);
        for r in &outcome.receipts {
            let detail =
                r.error().map(|e| format!(" {}: {}", e.code, e.detail.as_deref().unwrap_or(""))).unwrap_or_default();
            println!("receipt  {} {}{detail}", r.status().as_str(), r.created_at());
        }
    }
    Ok(if status == "CONFIRMED" { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// `queue run`: the witness worker over the database's queue.
#[derive(Args, Debug)]
pub(crate) struct RunCmd {
    /// The JSON-RPC endpoint, e.g. http://127.0.0.1:5005.
    #[arg(long)]
    rpc: String,
    /// A file holding the family seed; without it the seed is read from the environment
    /// variable NEXUS_ATTEST_XRPL_SEED.
    #[arg(long)]
    seed_file: Option<PathBuf>,
    /// Key type to derive (default: the seed's).
    #[arg(long, value_enum)]
    key_type: Option<KeyTypeArg>,
    /// Refuse an autofilled fee above this many drops (the intent then fails with a
    /// receipt saying so).
    #[arg(long, default_value_t = 1_000)]
    max_fee: u64,
    /// Timeout of one request, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
    /// Stop as soon as no entry is due (default: keep watching the queue).
    #[arg(long)]
    until_idle: bool,
    /// Stop after this many cycles.
    #[arg(long)]
    max_cycles: Option<u64>,
    /// Pause when no entry is due, in milliseconds.
    #[arg(long, default_value_t = 1_000)]
    idle_ms: u64,
    /// First backoff of an unfinished entry, in seconds (doubled per attempt).
    #[arg(long, default_value_t = 5)]
    backoff_base_secs: i64,
    /// The backoff never exceeds this many seconds.
    #[arg(long, default_value_t = 300)]
    backoff_cap_secs: i64,
    /// A SUBMITTED entry this many seconds old is re-checked (never re-submitted).
    #[arg(long, default_value_t = 120)]
    submitted_timeout_secs: i64,
    /// Lookups of one transaction before its intent fails with TIMEOUT.
    #[arg(long, default_value_t = 20)]
    max_confirm_polls: u32,
}

/// Signs with fresh ledger fields: `Sequence`, `Fee` and `LastLedgerSequence` are
/// fetched right before each signature, so only transactions actually sent cost calls.
struct AutofillSigner {
    key: Keypair,
    account: String,
    key_id: String,
    rpc: RefCell<JsonRpcClient>,
    max_fee: u64,
}

impl XrplSigner for AutofillSigner {
    fn account(&self) -> &str {
        &self.account
    }

    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, tx: &Value) -> Result<SignedTx, String> {
        let params = autofill(&mut self.rpc.borrow_mut(), &self.account, self.max_fee)
            .map_err(|e| format!("autofill failed: {e}"))?;
        let unsigned = complete(tx, &params).map_err(|e| e.to_string())?;
        let s = sign_tx(&unsigned, &self.key).map_err(|e| e.to_string())?;
        Ok(SignedTx { signed_tx_blob_hex: s.tx_blob, tx_hash: s.hash, key_id: self.key_id.clone() })
    }
}

/// Run the worker over `store`'s queue until idle (`--until-idle`), for
/// `--max-cycles`, or forever. Each processed cycle prints one line (compact JSON with
/// `--json`). The JSON-RPC exchanges behind each receipt are kept in the database for
/// narratives. Errors: `(2, message)` bad usage (the seed), `(1, message)` a store
/// failure.
pub(crate) fn run_queue<S: Store>(c: &RunCmd, store: &S, json: bool) -> Result<(), (u8, String)> {
    run_worker(c, store, json).map_err(|Fail(code, message)| (code, message))
}

fn run_worker<S: Store>(c: &RunCmd, store: &S, json: bool) -> Result<(), Fail> {
    let queue = &PersistentQueue::new(store);
    let exchanges = PersistentExchangeStore::new(store);
    let key = keypair(c.seed_file.as_deref(), c.key_type)?;
    let rpc_config = || {
        let mut config = RpcConfig::new(c.rpc.clone());
        config.timeout = Duration::from_secs(c.timeout_secs.max(1));
        config
    };
    let account = key.account_id().to_address();
    let key_id = key.public_key_hex();
    let signer = AutofillSigner {
        key,
        account,
        key_id,
        rpc: RefCell::new(JsonRpcClient::new(rpc_config())),
        max_fee: c.max_fee,
    };
    let mut recording = rpc_config();
    recording.record_exchanges = true;
    let mut client = JsonRpcClient::new(recording);
    let config = WorkerConfig {
        backoff_base_secs: c.backoff_base_secs.max(0),
        backoff_cap_secs: c.backoff_cap_secs.max(0),
        submitted_timeout_secs: c.submitted_timeout_secs.max(0),
        max_confirm_polls: c.max_confirm_polls.max(1),
        ..WorkerConfig::default()
    };
    let mut cycles = 0_u64;
    while c.max_cycles.is_none_or(|max| cycles < max) {
        cycles += 1;
        let now = SystemClock.now().unix_micros().unwrap_or(0);
        let outcome = Worker::new(queue, &mut client, &signer, config.clone()).run_once(now);
        // The receipts carry the exchange digests; records and bodies go to the database
        // (for narratives), not to memory.
        for ex in client.take_exchanges() {
            exchanges
                .put(&ex.record)
                .and_then(|_| exchanges.put_body(&ex.record.request_digest, &ex.request_body))
                .and_then(|_| exchanges.put_body(&ex.record.response_digest, &ex.response_body))
                .map_err(|e| Fail(1, format!("cannot keep an exchange: {e}")))?;
        }
        let outcome = outcome.map_err(|e| Fail(1, format!("worker cycle failed: {e}")))?;
        if outcome.processed {
            if json {
                println!("{}", canonical::to_display_string(&outcome.to_value(), None));
            } else {
                let last = outcome.receipts.last();
                println!(
                    "{}  {}{}",
                    outcome.queue_id.as_deref().unwrap_or("-"),
                    last.map_or("NONE", |r| r.status().as_str()),
                    last.and_then(|r| r.error())
                        .map(|e| format!("  [{}] {}", e.code, e.detail.as_deref().unwrap_or("")))
                        .unwrap_or_default()
                );
            }
        } else if c.until_idle {
            break;
        } else {
            std::thread::sleep(Duration::from_millis(c.idle_ms));
        }
    }
    Ok(())
}
