//! `campaignd orgs|keys|users|tokens`: organisations and the credentials that act for them.

use super::{CliError, CliResult, Database, Location, change};
use crate::config::{KeysCommand, OrgsCommand, TokensCommand, UsersCommand};
use crate::domain::credential::{Credential, Kind};
use crate::domain::ids::OrgId;
use crate::domain::scope::{Role, Scopes};
use crate::domain::time;
use crate::store::credentials::{self, NewKey};
use crate::store::{Db, StoreError, orgs};

pub(super) fn orgs(location: &Location, command: OrgsCommand) -> CliResult<()> {
    match command {
        OrgsCommand::Create { id, name } => {
            let Some(org) = OrgId::parse(&id) else {
                return Err(CliError::refused(
                    "an organisation id is 1 to 64 letters, digits, '_' or '-'",
                ));
            };
            change(location, |conn, now| {
                orgs::create(conn, &org, name.as_deref().unwrap_or(&id), now)
            })?;
            println!("created organisation {id}");
        }
        OrgsCommand::List => {
            for (id, name, created_at) in Database::open(location)?.read(orgs::list)? {
                println!("{id}\t{name}\t{created_at}");
            }
        }
    }
    Ok(())
}

pub(super) fn keys(location: &Location, command: KeysCommand) -> CliResult<()> {
    match command {
        KeysCommand::Create {
            org,
            name,
            scopes,
            expires_in,
        } => {
            let scopes = scopes
                .as_deref()
                .map_or(Ok(Scopes::ALL), Scopes::parse_list)
                .map_err(CliError::Refused)?;
            let expires_at = expires_in.as_deref().map(expiry).transpose()?;
            let key = Credential::generate(Kind::ApiKey);
            change_in_org(location, &org, |conn, org, now| {
                let new = NewKey {
                    organization_id: org,
                    name: &name,
                    scopes,
                    expires_at,
                };
                credentials::create_key(conn, &key, &new, now)
            })?;
            eprintln!("API key for {org} (scopes: {scopes}); the secret is shown only now:");
            println!("{key}");
        }
        KeysCommand::List { org } => {
            let mut database = Database::open(location)?;
            // An id that cannot be an organisation's has no keys.
            let keys = match OrgId::parse(&org) {
                Some(org) => database.read(|db| credentials::list_keys(db, &org))?,
                None => Vec::new(),
            };
            println!("key_id\tname\tscopes\tcreated_at\texpires_at\trevoked_at");
            for key in keys {
                let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    key.key_id,
                    key.name,
                    key.scopes,
                    key.created_at,
                    or_dash(key.expires_at),
                    or_dash(key.revoked_at)
                );
            }
        }
        KeysCommand::Revoke { key_id } => {
            let key_id = credential_id(&key_id, Kind::ApiKey);
            let revoked = change(location, |conn, now| {
                credentials::revoke(conn, Kind::ApiKey, &key_id, now)
            });
            or_refused(revoked, || format!("no live key {key_id}"))?;
            println!("revoked key {key_id}");
        }
    }
    Ok(())
}

pub(super) fn users(location: &Location, command: UsersCommand) -> CliResult<()> {
    match command {
        UsersCommand::Create { name } => {
            if name.trim().is_empty() {
                return Err(CliError::refused("a user name cannot be empty"));
            }
            change(location, |conn, now| {
                credentials::create_user(conn, &name, now)
            })?;
            println!("created user {name}");
        }
        UsersCommand::AddMember { name, org, role } => {
            let role: Role = role.parse().map_err(CliError::Refused)?;
            change_in_org(location, &org, |conn, org, _| {
                credentials::set_membership(conn, &name, org, role)
            })?;
            println!("{name} is now {} of {org}", role.as_str());
        }
        UsersCommand::RemoveMember { name, org } => {
            let removed = change(location, |conn, _| {
                // An id that cannot be an organisation's has no members.
                let org = OrgId::parse(&org).ok_or(StoreError::NotFound)?;
                credentials::remove_membership(conn, &name, &org)
            });
            or_refused(removed, || format!("{name} is not a member of {org}"))?;
            println!("{name} is no longer a member of {org}");
        }
    }
    Ok(())
}

pub(super) fn tokens(location: &Location, command: TokensCommand) -> CliResult<()> {
    match command {
        TokensCommand::Create {
            user,
            scopes,
            expires_in,
        } => {
            let scopes = scopes
                .as_deref()
                .map(Scopes::parse_list)
                .transpose()
                .map_err(CliError::Refused)?;
            let expires_at = expires_in.as_deref().map(expiry).transpose()?;
            let token = Credential::generate(Kind::PersonalToken);
            change(location, |conn, now| {
                credentials::create_token(conn, &token, &user, scopes, expires_at, now)
            })?;
            eprintln!(
                "personal access token for {user}; send X-Anyreach-Org with it. The secret is shown only now:"
            );
            println!("{token}");
        }
        TokensCommand::Revoke { token_id } => {
            let token_id = credential_id(&token_id, Kind::PersonalToken);
            let revoked = change(location, |conn, now| {
                credentials::revoke(conn, Kind::PersonalToken, &token_id, now)
            });
            or_refused(revoked, || format!("no live token {token_id}"))?;
            println!("revoked token {token_id}");
        }
    }
    Ok(())
}

/// `change` in the organisation `org` names, refused with a clear line when there is none.
fn change_in_org<T>(
    location: &Location,
    org: &str,
    f: impl FnOnce(&Db, &OrgId, &str) -> Result<T, StoreError>,
) -> CliResult<T> {
    let changed = change(location, |conn, now| {
        // An id that cannot be an organisation's names none.
        let id = OrgId::parse(org).ok_or(StoreError::NotFound)?;
        if !orgs::exists(conn, &id)? {
            return Err(StoreError::NotFound);
        }
        f(conn, &id, now)
    });
    or_refused(changed, || {
        format!("no organisation '{org}' (see `campaignd orgs list`)")
    })
}

/// A `NotFound` from the store, said the way this command says it.
fn or_refused<T>(result: CliResult<T>, not_found: impl FnOnce() -> String) -> CliResult<T> {
    match result {
        Err(CliError::Store(StoreError::NotFound)) => Err(CliError::Refused(not_found())),
        other => other,
    }
}

/// The id of a credential given whole (`ak_<id>.<secret>`) or as its id alone.
fn credential_id(text: &str, kind: Kind) -> String {
    text.trim_start_matches(kind.prefix())
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `30d`, `12h`, `90m`, `1h30m` … from now, as a stored instant.
fn expiry(text: &str) -> CliResult<String> {
    let span: jiff::Span = text.parse().map_err(|e| {
        CliError::refused(format!(
            "--expires-in '{text}' is not a duration like 30d, 12h or 90m: {e}"
        ))
    })?;
    let at = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(span)
        .map_err(|e| CliError::refused(format!("--expires-in '{text}': {e}")))?;
    Ok(time::format(time::truncate_ms(at.timestamp())))
}
