//! Prints a new 2048-bit RSA private key (PKCS#8 PEM) to stdout; the stopgap for
//! `sales-admin genkey`, and how `zarf/keys/` got its development key.
//!
//! `cargo run -p keystore --example genkey > zarf/keys/$(uuidgen).pem`

fn main() -> anyhow::Result<()> {
    print!("{}", keystore::generate_private_key_pem(2048)?);
    Ok(())
}
