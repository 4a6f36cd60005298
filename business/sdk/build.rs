// `sqlx::migrate!` and `include_str!` embed these files; rebuild when they change
// so a new migration or seed row is never silently left out of the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=seed");
}
