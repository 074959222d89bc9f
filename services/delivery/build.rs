// `embed_migrations!` reads the migrations folder at compile time; without this, a new migration
// would not rebuild the service (notably in CI's cached target directory).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
