//! `useradd` and `users`.

use anyhow::Context;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use sdk::{DbPool, Page};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use types::{Email, Name, Password, Roles};
use uuid::Uuid;

use crate::fail::fail;
use crate::ui::Ui;

/// The actor recorded in the audit rows of changes made with `sales-admin`: the nil
/// UUID, which no user can have, so "done by an operator at the console" is never
/// mistaken for a user's own action.
pub const SYSTEM_ACTOR: Uuid = Uuid::nil();

/// The most characters a department may have (API.md).
const DEPARTMENT_MAX: usize = 64;

pub struct UserInput {
    pub name: String,
    pub email: String,
    pub password: Option<String>,
    pub roles: Vec<String>,
    pub department: Option<String>,
}

/// Checks every field and reports all problems at once, each with the option it
/// came from.
fn validate(input: UserInput) -> anyhow::Result<userbus::NewUser> {
    let mut problems = Vec::new();
    let mut field = |name: &str, msg: String| problems.push(format!("--{name} {msg}"));

    let name = Name::parse(&input.name).map_err(|e| field("name", e.to_string())).ok();
    let email = Email::parse(&input.email)
        .map_err(|e| field("email", e.to_string()))
        .ok();
    let password = match &input.password {
        Some(p) => Password::parse(p).map_err(|e| field("password", e.to_string())).ok(),
        None => {
            field("password", "is required (or set SALES_ADMIN_PASSWORD)".into());
            None
        }
    };
    // Accept `admin,user` as well: roles are a closed set, case carries no meaning here.
    let roles: Vec<String> = input
        .roles
        .iter()
        .map(|r| r.trim().to_ascii_uppercase())
        .filter(|r| !r.is_empty())
        .collect();
    let roles = Roles::parse_all(&roles).map_err(|e| field("roles", e.to_string())).ok();
    let department = match input.department.as_deref().map(str::trim) {
        None | Some("") => Some(None),
        Some(d) if d.chars().count() > DEPARTMENT_MAX => {
            field("department", format!("must be at most {DEPARTMENT_MAX} characters"));
            None
        }
        Some(d) if d.chars().any(char::is_control) => {
            field("department", "must not contain control characters".into());
            None
        }
        Some(d) => Some(Some(d.to_string())),
    };

    match (name, email, password, roles, department) {
        (Some(name), Some(email), Some(password), Some(roles), Some(department)) => Ok(userbus::NewUser {
            name,
            email,
            roles,
            department,
            password,
        }),
        _ => Err(fail(
            format!("invalid user: {}", problems.join("; ")),
            "fix the values above and try again",
        )),
    }
}

pub async fn useradd(pool: &DbPool, input: UserInput, ui: &Ui) -> anyhow::Result<()> {
    let nu = validate(input)?;
    crate::db::require_schema(pool).await?;
    let users = userbus::Business::new(userbus::stores::new(pool));
    let email = nu.email.clone();
    ui.note("hashing the password and creating the user...");
    let user = match users.create(SYSTEM_ACTOR, nu).await {
        Ok(u) => u,
        Err(userbus::Error::UniqueEmail) => {
            return Err(fail(
                format!("invalid user: --email {email} is already in use"),
                "choose another email; see existing users with `sales-admin users`",
            ));
        }
        Err(e) => return Err(e).context("cannot create the user"),
    };
    println!("{}", user.id);
    ui.note(format_args!(
        "created user {} <{}> with roles {} (audited as actor {SYSTEM_ACTOR})",
        user.name,
        user.email,
        user.roles.to_csv()
    ));
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// The API's User document (API.md), field for field, so scripts can treat both alike.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct UserDoc<'a> {
    id: Uuid,
    name: &'a str,
    email: &'a str,
    roles: &'a Roles,
    department: Option<&'a str>,
    enabled: bool,
    version: i64,
    date_created: String,
    date_updated: String,
}

fn user_doc(u: &userbus::User) -> UserDoc<'_> {
    UserDoc {
        id: u.id,
        name: u.name.as_str(),
        email: u.email.as_str(),
        roles: &u.roles,
        department: u.department.as_deref(),
        enabled: u.enabled,
        version: u.version,
        date_created: rfc3339(u.date_created),
        date_updated: rfc3339(u.date_updated),
    }
}

pub async fn list(pool: &DbPool, as_json: bool, page: Page, ui: &Ui) -> anyhow::Result<()> {
    crate::db::require_schema(pool).await?;
    let users = userbus::Business::new(userbus::stores::new(pool));
    let filter = userbus::QueryFilter::default();
    let items = users
        .query(&filter, userbus::DEFAULT_ORDER, page)
        .await
        .context("cannot list users")?;
    let total = users.count(&filter).await.context("cannot count users")?;

    if as_json {
        let arr: Vec<_> = items.iter().map(user_doc).collect();
        println!("{}", serde_json::to_string_pretty(&arr)?);
    } else {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(["id", "name", "email", "roles", "enabled", "created"]);
        for u in &items {
            let created = u
                .date_created
                .replace_nanosecond(0)
                .map_or_else(|_| rfc3339(u.date_created), rfc3339);
            table.add_row([
                u.id.to_string(),
                u.name.to_string(),
                u.email.to_string(),
                u.roles.to_csv(),
                if u.enabled { "yes" } else { "no" }.to_string(),
                created,
            ]);
        }
        println!("{table}");
    }
    let first = page.offset() + 1;
    let last = page.offset() + items.len() as i64;
    if items.is_empty() {
        ui.note(format_args!("no users on page {} ({total} in total)", page.number));
    } else {
        ui.note(format_args!(
            "users {first}-{last} of {total} (page {}, {} per page)",
            page.number, page.rows
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> UserInput {
        UserInput {
            name: "Ann Lee".into(),
            email: "Ann@Example.com".into(),
            password: Some("long enough".into()),
            roles: vec!["admin".into(), "USER".into()],
            department: Some("  ".into()),
        }
    }

    #[test]
    fn valid_input_becomes_a_new_user() {
        let nu = validate(input()).unwrap();
        assert_eq!(nu.email.as_str(), "ann@example.com");
        assert_eq!(nu.roles.to_csv(), "ADMIN,USER");
        assert_eq!(nu.department, None, "blank department means none");
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = UserInput {
            name: "A".into(),
            email: "nope".into(),
            password: None,
            roles: vec!["ROOT".into()],
            department: Some("x".repeat(65)),
        };
        let msg = crate::fail::render(&validate(bad).unwrap_err());
        for f in ["--name", "--email", "--password", "--roles", "--department"] {
            assert!(msg.contains(f), "{f} missing from {msg}");
        }
        assert!(msg.contains("SALES_ADMIN_PASSWORD"), "{msg}");
    }
}
