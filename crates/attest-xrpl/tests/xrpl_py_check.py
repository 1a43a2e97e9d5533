"""Check `nexus-attest witness sign --json` output with xrpl-py (an independent codec).

Usage: python xrpl_py_check.py < signed.json   (one object, or a JSON array of them)

For each {"tx_json", "tx_blob", "hash"}: the blob decodes with xrpl-py to tx_json,
re-encodes to the same blob, the signature verifies over xrpl-py's own signing data,
the account matches the public key, and the hash equals both SHA-512Half("TXN\\0" + blob)
and xrpl-py's Transaction.get_hash(). Prints one line per transaction; exit 1 on any failure.
"""
import hashlib
import json
import sys

from xrpl.core.binarycodec import decode, encode, encode_for_signing
from xrpl.core.keypairs import derive_classic_address, is_valid_message
from xrpl.models.transactions.transaction import Transaction


def check(item):
    blob, tx_json, want_hash = item["tx_blob"], item["tx_json"], item["hash"]
    decoded = decode(blob)
    assert decoded == tx_json, f"decoded {decoded} != {tx_json}"
    assert encode(decoded) == blob.upper(), "re-encoding differs"
    unsigned = {k: v for k, v in decoded.items() if k != "TxnSignature"}
    signing = bytes.fromhex(encode_for_signing(unsigned))
    assert is_valid_message(signing, bytes.fromhex(decoded["TxnSignature"]), decoded["SigningPubKey"]), "bad signature"
    assert derive_classic_address(decoded["SigningPubKey"]) == decoded["Account"], "account/key mismatch"
    h = hashlib.sha512(bytes.fromhex("54584E00" + blob)).digest()[:32].hex().upper()
    assert h == want_hash, f"hash {h} != {want_hash}"
    assert Transaction.from_xrpl(decoded).get_hash() == want_hash, "xrpl-py get_hash differs"
    return f"ok {decoded['TransactionType']} {decoded['Account']} {want_hash}"


def main():
    data = json.load(sys.stdin)
    items = data if isinstance(data, list) else [data]
    failed = 0
    for item in items:
        try:
            print(check(item))
        except AssertionError as e:
            failed += 1
            print(f"FAIL {item.get('hash')}: {e}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
