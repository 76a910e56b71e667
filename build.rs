// Migrations are embedded at compile time (`embed_migrations!`): rebuild when they change,
// or a new migration would silently be left out of the binary.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
