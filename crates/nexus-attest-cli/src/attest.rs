//! `keygen`, `attest sign` and `attest verify`: Ed25519 attestations over an audit
//! package's binding digest (attest-witness signs, attest-verify verifies with trust).
//!
//! Key files: `keygen` writes the private key as the 32-byte Ed25519 seed in 64
//! lower-case hex characters and a newline, in a new file of mode 0600 (it never
//! overwrites). Public keys are 64 hex characters, given as text or as a file holding
//! them or `{"public_key": HEX}` (what `keygen --json` prints).
//!
//! Exit codes: 0 ok; 1 refused (signing a package that does not verify) or verification
//! failed; 2 bad usage or unreadable input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use nexus_attest::verify::attestation::{parse_public_key, public_key_from_text, verify_package_with_trust};
use nexus_attest::verify::json::Value;
use nexus_attest::verify::{verify_package, Timestamp, VerifyOptions};
use nexus_attest::witness::{create_attestation, Attestation, Attestor, SigningKey};

use crate::{obj, pretty, read_json, verification_text, write_atomic, Fail};

/// The claim signed when `attest sign` is given none.
const DEFAULT_CLAIM: &str = "package-verified";

/// `keygen`: a fresh Ed25519 key.
#[derive(Args, Debug)]
pub(crate) struct KeygenCmd {
    /// Where to write the private key (64 hex of the seed; created with mode 0600; an
    /// existing file is never overwritten).
    #[arg(short = 'o', long)]
    output: PathBuf,
}

/// `attest`: sign or verify attestations.
#[derive(Subcommand, Debug)]
pub(crate) enum AttestCmd {
    /// Sign an attestation over an audit package's binding digest (the package must
    /// verify first).
    Sign {
        /// The audit package (`-` for stdin).
        package: PathBuf,
        /// The private key file written by `keygen`.
        #[arg(long)]
        key: PathBuf,
        /// A claim (repeat for several; default `package-verified`).
        #[arg(long = "claim")]
        claims: Vec<String>,
        /// Who attests (signed).
        #[arg(long, default_value = "nexus-attest")]
        attestor: String,
        /// Which of the attestor's keys signs (signed; default: the first 16 hex
        /// characters of the public key).
        #[arg(long)]
        key_id: Option<String>,
        /// A display role (unsigned, written into `meta`).
        #[arg(long)]
        role: Option<String>,
        /// Write the attestation to FILE (atomically) instead of stdout.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Verify an audit package with trust: it passes only when at least K distinct
    /// trusted keys attest its binding digest.
    Verify {
        /// The audit package (`-` for stdin).
        package: PathBuf,
        /// An attestation document (repeat for several).
        #[arg(long = "attestation", required = true)]
        attestations: Vec<PathBuf>,
        /// A trusted public key: 64 hex, or a file holding them or `{"public_key": HEX}`
        /// (repeat for several).
        #[arg(long = "trusted-key", required = true)]
        trusted_keys: Vec<String>,
        /// How many distinct trusted keys must attest.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        threshold: u32,
    },
}

fn fail_exit(f: Fail, json_out: bool) -> ExitCode {
    match f {
        Fail::Usage(m) => {
            eprintln!("nexus-attest: error: {m}");
            ExitCode::from(2)
        }
        Fail::Refused(result) => {
            if json_out {
                println!("{}", pretty(&result.to_value()));
            }
            ExitCode::from(1)
        }
    }
}

/// `keygen`: create the key file (0600, never overwriting) and print the public key.
pub(crate) fn keygen(cmd: &KeygenCmd, json_out: bool) -> ExitCode {
    match keygen_inner(cmd) {
        Ok(public) => {
            if json_out {
                println!("{}", pretty(&obj(vec![("public_key", Value::String(public))])));
            } else {
                println!("{public}");
            }
            ExitCode::SUCCESS
        }
        Err(f) => fail_exit(f, json_out),
    }
}

fn keygen_inner(cmd: &KeygenCmd) -> Result<String, Fail> {
    let key = SigningKey::generate().map_err(|e| Fail::Usage(format!("cannot generate a key: {e}")))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let path = &cmd.output;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Fail::Usage(format!("{} exists; refusing to overwrite a key file", path.display()))
        } else {
            Fail::Usage(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    let seed_hex = nexus_attest::verify::attestation::hex_encode(&key.seed());
    file.write_all(format!("{seed_hex}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Fail::Usage(format!("cannot write {}: {e}", path.display())))?;
    Ok(key.public_key_hex())
}

pub(crate) fn read_signing_key(path: &Path) -> Result<SigningKey, Fail> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Fail::Usage(format!("cannot read {}: {e}", path.display())))?;
    SigningKey::from_seed_hex(text.trim()).map_err(|e| {
        Fail::Usage(format!("{} is not a private key file (64 hex characters of an Ed25519 seed): {e}", path.display()))
    })
}

fn read_trusted_key(arg: &str) -> Result<[u8; 32], Fail> {
    if arg.len() == 64 && arg.bytes().all(|b| b.is_ascii_hexdigit()) {
        return parse_public_key(arg).map_err(|e| Fail::Usage(format!("--trusted-key `{arg}`: {e}")));
    }
    let text = std::fs::read_to_string(arg).map_err(|e| {
        Fail::Usage(format!("--trusted-key `{arg}` is neither 64 hex characters nor a readable file: {e}"))
    })?;
    public_key_from_text(&text).map_err(|e| Fail::Usage(format!("--trusted-key `{arg}`: {e}")))
}

/// `attest sign` / `attest verify`.
pub(crate) fn run(cmd: &AttestCmd, json_out: bool) -> ExitCode {
    match cmd {
        AttestCmd::Sign { package, key, claims, attestor, key_id, role, output } => {
            match sign(package, key, claims, attestor, key_id.as_deref(), role.as_deref(), output.as_deref(), json_out)
            {
                Ok(code) => code,
                Err(f) => fail_exit(f, json_out),
            }
        }
        AttestCmd::Verify { package, attestations, trusted_keys, threshold } => {
            match verify(package, attestations, trusted_keys, *threshold, json_out) {
                Ok(code) => code,
                Err(f) => fail_exit(f, json_out),
            }
        }
    }
}

/// Why a package was not signed.
pub(crate) enum SignRefusal {
    /// Not shaped like an audit package: the shape error's code and text.
    Shape(&'static str, String),
    /// It does not verify (boxed: a verification is large).
    NotVerified(Box<nexus_attest::verify::Verification>),
}

/// Sign an attestation over `doc`'s binding digest with `key`, only if the package
/// verifies. `claims` empty: `package-verified`; `key_id` absent: the first 16 hex
/// characters of the public key. Returns the attestation and the `sha256:` binding.
pub(crate) fn sign_package(
    doc: &Value,
    key: &SigningKey,
    claims: &[String],
    attestor: &str,
    key_id: Option<&str>,
    role: Option<&str>,
) -> Result<(Attestation, String), SignRefusal> {
    let verification =
        verify_package(doc, &VerifyOptions::default()).map_err(|e| SignRefusal::Shape(e.code(), e.to_string()))?;
    if !verification.ok() {
        return Err(SignRefusal::NotVerified(Box::new(verification)));
    }
    let binding = nexus_attest::verify::ParsedPackage::parse(doc)
        .map_err(|e| SignRefusal::Shape(e.code(), e.to_string()))?
        .recompute_binding_digest()
        .to_prefixed();
    let public = key.public_key_hex();
    let key_id = key_id.map_or_else(|| public.get(..16).unwrap_or_default().to_owned(), str::to_owned);
    let claims = if claims.is_empty() { vec![DEFAULT_CLAIM.to_owned()] } else { claims.to_vec() };
    let who = Attestor { id: attestor.to_owned(), key_id, role: role.map(str::to_owned) };
    let signed_at =
        Timestamp::from_unix_micros_saturating(nexus_attest::verify::verify::system_now_micros()).isoformat();
    Ok((create_attestation(&binding, &claims, &who, key, &signed_at), binding))
}

#[allow(clippy::too_many_arguments, reason = "one argument per command-line option")]
fn sign(
    package: &Path,
    key: &Path,
    claims: &[String],
    attestor: &str,
    key_id: Option<&str>,
    role: Option<&str>,
    output: Option<&Path>,
    json_out: bool,
) -> Result<ExitCode, Fail> {
    let key = read_signing_key(key)?;
    let doc = read_json(package)?;
    let (attestation, binding) = match sign_package(&doc, &key, claims, attestor, key_id, role) {
        Ok(signed) => signed,
        Err(SignRefusal::Shape(_, e)) => {
            return Err(Fail::Usage(format!("{} is not shaped like an audit package: {e}", package.display())))
        }
        Err(SignRefusal::NotVerified(verification)) => {
            eprintln!("{}", verification_text(&verification));
            eprintln!("nexus-attest: refused: {} does not verify; not signing it", package.display());
            return Ok(ExitCode::from(1));
        }
    };
    let public = key.public_key_hex();
    let text = pretty(&attestation.to_value());
    match output {
        None => println!("{text}"),
        Some(path) => {
            write_atomic(path, &format!("{text}\n"))?;
            if json_out {
                let summary = obj(vec![
                    ("attestation_id", Value::str(attestation.attestation_id.as_str())),
                    ("binding_digest", Value::str(binding.as_str())),
                    ("public_key", Value::str(public.as_str())),
                    ("file", Value::String(path.display().to_string())),
                ]);
                println!("{}", pretty(&summary));
            } else {
                println!("{} over {binding} by {public} -> {}", attestation.attestation_id, path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(
    package: &Path,
    attestations: &[PathBuf],
    trusted_keys: &[String],
    threshold: u32,
    json_out: bool,
) -> Result<ExitCode, Fail> {
    let keys = trusted_keys.iter().map(|k| read_trusted_key(k)).collect::<Result<Vec<_>, _>>()?;
    let docs = attestations.iter().map(|a| read_json(a)).collect::<Result<Vec<_>, _>>()?;
    let doc = read_json(package)?;
    let threshold = usize::try_from(threshold).unwrap_or(usize::MAX);
    let result = verify_package_with_trust(&doc, &VerifyOptions::default(), &docs, &keys, threshold)
        .map_err(|e| Fail::Usage(format!("{} is not shaped like an audit package: {e}", package.display())))?;
    if json_out {
        println!("{}", pretty(&result.to_flat_value()));
    } else {
        println!("{}", verification_text(&result.verification));
        for v in &result.attestations {
            println!(
                "attestation {}: {} ({})",
                v.attestation_id.as_deref().unwrap_or("(unreadable)"),
                if v.ok { "ok" } else { "FAIL" },
                v.detail
            );
        }
    }
    Ok(if result.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
