//! `sales-admin`: the operator's tool for the sales API (the Rust counterpart of the
//! Go kit's `tooling/admin`). It applies migrations and seed data, makes signing
//! keys, mints tokens for existing users, and adds and lists users, using the same
//! business crates as the service so it can never disagree with it.
//!
//! Output contract: results go to stdout (an id, a token, a table or JSON), so
//! `TOKEN=$(sales-admin gentoken ...)` works; progress and details go to stderr.
//! Failures exit with status 1 and print one line saying what went wrong and what to
//! do; usage errors exit with status 2 (clap's convention).

mod db;
mod domaingen;
mod fail;
mod keys;
mod logfmt;
mod token;
mod ttl;
mod ui;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::db::Open;
use crate::ui::Ui;

const EXAMPLES: &str = "\
Examples:
  sales-admin migrate-seed                      # schema + seed data in var/sales.db
  SALES_DB_URL=postgres://postgres@127.0.0.1:5432/sales sales-admin migrate
  sales-admin users
  TOKEN=$(sales-admin gentoken 5cf37266-3473-4006-984f-9325122678b7)
  curl -H \"Authorization: Bearer $TOKEN\" localhost:3000/v1/users
  SALES_ADMIN_PASSWORD=secret123 sales-admin useradd --name 'Ann Lee' --email ann@example.com
  sales-admin genkey --dir zarf/keys

Every command takes --db-url (or SALES_DB_URL), default sqlite://var/sales.db, the
same default as the service. Exit status: 0 success, 1 failure, 2 usage error.";

#[derive(Debug, Parser)]
#[command(
    name = "sales-admin",
    version,
    about = "Administer the sales API: database schema and seed data, signing keys, tokens and users.",
    after_help = EXAMPLES
)]
struct Cli {
    /// Database to work on: sqlite://PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(long, global = true, env = "SALES_DB_URL", hide_env_values = true,
          default_value_t = sdk::DbConfig::default().url)]
    db_url: String,

    /// Print only results on stdout, no progress or details on stderr.
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply the database migrations (idempotent).
    #[command(
        after_help = "Examples:\n  sales-admin migrate\n  sales-admin --db-url postgres://postgres@127.0.0.1:5432/sales migrate"
    )]
    Migrate,

    /// Insert the seed data (idempotent): admin@example.com, user@example.com (password "garagesale") and a few products.
    #[command(after_help = SEED_HELP)]
    Seed,

    /// Apply the migrations, then insert the seed data.
    #[command(after_help = SEED_HELP)]
    MigrateSeed,

    /// Generate a new RSA signing key as <DIR>/<KID>.pem (mode 0600); prints the kid.
    #[command(
        after_help = "The kid (file name without .pem) goes into the token header. To sign with the new key:\n  \
        SALES_AUTH_KEYS_FOLDER=<DIR> SALES_AUTH_ACTIVE_KID=<KID> make run\n\n\
        Examples:\n  sales-admin genkey\n  KID=$(sales-admin genkey --dir /secrets/keys --bits 4096)"
    )]
    Genkey {
        /// Folder to write the key into (created if missing).
        #[arg(long, default_value = "zarf/keys")]
        dir: PathBuf,
        /// RSA modulus size; at least 2048.
        #[arg(long, default_value_t = 2048, value_parser = clap::value_parser!(u32).range(2048..=8192))]
        bits: u32,
        /// Key id to use instead of a random UUID (letters, digits, '-', '_', '.').
        #[arg(long)]
        kid: Option<String>,
    },

    /// Mint an access token for an existing, enabled user. Prints only the token on stdout.
    #[command(
        after_help = "The token is signed like the service signs it (RS256, kid header, iss/sub/iat/exp/jti/roles),\n\
        so the service accepts it as long as it trusts the key and uses the same issuer.\n\n\
        Examples:\n  TOKEN=$(sales-admin gentoken 5cf37266-3473-4006-984f-9325122678b7)\n  \
        sales-admin gentoken --ttl 30m 45b5fbd3-755f-4379-8f07-a58d4a30fa2f \"$KID\""
    )]
    Gentoken {
        /// Id of the user the token is for (its subject).
        user_id: Uuid,
        /// Key id to sign with; default: the only/first key in the keys folder.
        #[arg(env = "SALES_AUTH_ACTIVE_KID")]
        kid: Option<String>,
        /// Folder of <kid>.pem signing keys.
        #[arg(long, env = "SALES_AUTH_KEYS_FOLDER", default_value = "zarf/keys")]
        keys_folder: PathBuf,
        /// Keys as a JSON object {"<kid>": "<PEM>"}; when set, used instead of the folder (as the service does).
        #[arg(long, env = "SALES_AUTH_KEYS_JSON", hide_env_values = true)]
        keys_json: Option<String>,
        /// Token issuer (`iss`); must equal the service's SALES_AUTH_ISSUER.
        #[arg(long, env = "SALES_AUTH_ISSUER", default_value = token::DEFAULT_ISSUER)]
        issuer: String,
        /// Lifetime, e.g. 30m, 8h, 1h30m, 7d (at most 365d).
        #[arg(long, default_value = "8h", value_parser = ttl::parse)]
        ttl: time::Duration,
    },

    /// Create a user; prints the new id. The audit row names the system actor (nil UUID).
    #[command(
        after_help = "The password comes from --password or, better (it stays out of `ps` and shell\n\
        history), from SALES_ADMIN_PASSWORD. Nothing is prompted, so it works in scripts.\n\n\
        Examples:\n  SALES_ADMIN_PASSWORD=secret123 sales-admin useradd --name 'Ann Lee' --email ann@example.com\n  \
        sales-admin useradd --name Root --email root@example.com --roles ADMIN,USER --password 'long enough'"
    )]
    Useradd {
        /// Display name, 2-64 characters.
        #[arg(long)]
        name: String,
        /// Email address; stored lowercase, must be unused.
        #[arg(long)]
        email: String,
        /// Password, 8-128 characters.
        #[arg(long, env = "SALES_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// Comma-separated roles: ADMIN, USER.
        #[arg(long, value_delimiter = ',', default_value = "USER")]
        roles: Vec<String>,
        /// Department, at most 64 characters.
        #[arg(long)]
        department: Option<String>,
    },

    /// List users as a table, or as a JSON array with --json.
    #[command(
        after_help = "Examples:\n  sales-admin users\n  sales-admin users --json | jq -r '.[].email'\n  sales-admin users --page 2 --rows 20"
    )]
    Users {
        /// Print a JSON array (API field names) instead of a table.
        #[arg(long)]
        json: bool,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        page: u32,
        /// Rows per page, 1-100.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
        rows: u32,
    },

    /// Generate a new domain (business core, stores, migrations, app layer, tests) or list the domains.
    #[command(subcommand)]
    Domain(DomainCommand),

    /// Pretty-print JSON log lines from stdin (the service's and the sidecar's), optionally filtered.
    #[command(after_help = logfmt::HELP)]
    Logfmt(logfmt::Args),
}

const FIELD_HELP: &str = "\
Fields are NAME:TYPE[:optional][:unique], NAME in snake_case:
  string     1-200 characters; filter: case-insensitive substring; orderable
  text       at most 10000 characters
  int        i64; filter: exact; orderable
  money      exact cents (types::Money), JSON number with at most 2 decimals, >= 0; filter: exact; orderable
  bool       filter: exact
  timestamp  RFC 3339 on the wire; orderable
  uuid       filter: exact; orderable
  user       id of an existing user (foreign key; unknown id: 400); filter: exact
  string[] int[] uuid[] bool[]   lists of at most 100: PostgreSQL arrays, JSON text in SQLite
Modifiers: optional (nullable, may be left out), unique (among live rows; string, int, uuid, user).
Every domain also has id, user_id (the owner: whoever created it; `owner:user` names it
explicitly and adds no column), version (ETag/If-Match), date_created, date_updated and a
soft delete. Rules as for products: ANY reads, USER creates, OWNER|ADMIN updates and deletes.

Examples:
  sales-admin domain new widget --field title:string --field price:money --field owner:user \\
      --field tags:string[] --field due:timestamp:optional --dry-run
  sales-admin domain new parcel --field label:string:unique --field weight:int
  sales-admin domain list";

#[derive(Debug, Subcommand)]
enum DomainCommand {
    /// Write a new domain and register it at the @generator: markers (idempotent).
    #[command(after_help = FIELD_HELP)]
    New {
        /// One lowercase word, singular (e.g. widget): crates <name>bus and <name>app.
        name: String,
        /// A field, NAME:TYPE[:optional][:unique]; repeat for each field.
        #[arg(long = "field", short = 'f', required = true)]
        fields: Vec<String>,
        /// Table and route name; default: the name + s (glass -> glasses, story -> stories).
        #[arg(long)]
        plural: Option<String>,
        /// Print the files and the insertions; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The workspace root; default: found upwards from the current directory.
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// List the domains present (business/domain/*bus) and whether the service mounts them.
    List {
        /// The workspace root; default: found upwards from the current directory.
        #[arg(long)]
        root: Option<PathBuf>,
    },
}

const SEED_HELP: &str = "\
Seed accounts (fixed ids, password \"garagesale\"; development only):
  5cf37266-3473-4006-984f-9325122678b7  admin@example.com  ADMIN,USER
  45b5fbd3-755f-4379-8f07-a58d4a30fa2f  user@example.com   USER
Products and their ids are listed in business/sdk/seed/*.sql. Rows that already exist are
left alone, so running it twice changes nothing.

Examples:
  sales-admin migrate-seed
  SALES_DB_URL=postgres://postgres@127.0.0.1:5432/sales sales-admin seed";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let ui = Ui::new(cli.quiet);
    match run(cli, &ui).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", fail::render(&err));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, ui: &Ui) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate => {
            let pool = db::connect(&cli.db_url, Open::CreateIfMissing, ui).await?;
            db::migrate(&pool, ui).await
        }
        Command::Seed => {
            let pool = db::connect(&cli.db_url, Open::Existing, ui).await?;
            db::seed(&pool, ui).await
        }
        Command::MigrateSeed => {
            let pool = db::connect(&cli.db_url, Open::CreateIfMissing, ui).await?;
            db::migrate(&pool, ui).await?;
            db::seed(&pool, ui).await
        }
        Command::Genkey { dir, bits, kid } => keys::genkey(&dir, bits as usize, kid, ui),
        Command::Gentoken {
            user_id,
            kid,
            keys_folder,
            keys_json,
            issuer,
            ttl,
        } => {
            let pool = db::connect(&cli.db_url, Open::Existing, ui).await?;
            let keys_json = keys_json.filter(|j| !j.trim().is_empty());
            let req = token::Request {
                user_id,
                kid,
                keys_folder,
                keys_json,
                issuer,
                ttl,
            };
            token::gentoken(&pool, req, ui).await
        }
        Command::Useradd {
            name,
            email,
            password,
            roles,
            department,
        } => {
            let pool = db::connect(&cli.db_url, Open::Existing, ui).await?;
            let input = users::UserInput {
                name,
                email,
                password,
                roles,
                department,
            };
            users::useradd(&pool, input, ui).await
        }
        Command::Users { json, page, rows } => {
            let pool = db::connect(&cli.db_url, Open::Existing, ui).await?;
            users::list(&pool, json, sdk::Page::new(page, rows), ui).await
        }
        Command::Logfmt(args) => logfmt::run(&args),
        Command::Domain(DomainCommand::New {
            name,
            fields,
            plural,
            dry_run,
            root,
        }) => {
            let opts = domaingen::NewDomain {
                name,
                fields,
                plural,
                dry_run,
                root: domaingen::find_root(root)?,
            };
            domaingen::run_new(&opts, &mut std::io::stdout())
        }
        Command::Domain(DomainCommand::List { root }) => {
            let root = domaingen::find_root(root)?;
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::NOTHING);
            table.set_header(["DOMAIN", "BUSINESS", "APP", "ROUTES", "ORIGIN"]);
            for d in domaingen::list(&root)? {
                table.add_row([
                    d.name.clone(),
                    format!("{}bus", d.name),
                    if d.app { format!("{}app", d.name) } else { "-".into() },
                    if d.mounted { "mounted".into() } else { "-".to_string() },
                    if d.generated {
                        "generated".into()
                    } else {
                        "hand-written".to_string()
                    },
                ]);
            }
            println!("{table}");
            Ok(())
        }
    }
}

/// Logs (sqlx statements, business spans) are off unless `RUST_LOG` asks for them,
/// and go to stderr so they never mix with results on stdout.
fn init_logging() {
    if std::env::var_os("RUST_LOG").is_none_or(|v| v.is_empty()) {
        return;
    }
    match logger::subscriber("sales-admin", logger::Format::Pretty, "off", None, std::io::stderr) {
        Ok(sub) => {
            let _ = tracing::subscriber::set_global_default(sub);
        }
        Err(e) => eprintln!("warning: logging disabled: {e}"),
    }
}
