//! How the domain's named values are stored: as their names, read back strictly (a name that
//! campaignd never writes is an error, not a default), by either driver; and ids, as their text.

use crate::domain::ids::{AttemptId, CampaignId, ConfigurationId, ContactId, OrgId};
use crate::domain::status::{AttemptStatus, CampaignStatus, ContactStatus, Outcome};
use bytes::BytesMut;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use tokio_postgres::types::{self as pg, IsNull, Type};

type PgResult<T> = Result<T, Box<dyn std::error::Error + Sync + Send>>;

/// Values bound as their text (`as_str`), by either driver.
macro_rules! bound_as_text {
    ($($name:ident),+) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl pg::ToSql for $name {
            fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> PgResult<IsNull> {
                pg::ToSql::to_sql(&self.as_str(), ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <&str as pg::ToSql>::accepts(ty)
            }

            pg::to_sql_checked!();
        }
    )+};
}

macro_rules! stored_by_name {
    ($($name:ident),+) => {$(
        bound_as_text!($name);

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} '{text}'", stringify!($name)).into())
                })
            }
        }

        impl<'a> pg::FromSql<'a> for $name {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> PgResult<Self> {
                let text = <&str as pg::FromSql>::from_sql(ty, raw)?;
                $name::parse(text)
                    .ok_or_else(|| format!("unknown {} '{text}'", stringify!($name)).into())
            }

            fn accepts(ty: &Type) -> bool {
                <&str as pg::FromSql>::accepts(ty)
            }
        }
    )+};
}

stored_by_name!(CampaignStatus, ContactStatus, AttemptStatus, Outcome);

/// Ids are stored as their text and read back trusted (`from_stored`): every id in the database
/// was parsed or made by campaignd before it was written, and rows are read on the dialer's hot
/// paths, where checking each id again would cost for nothing.
macro_rules! stored_as_text {
    ($($name:ident),+) => {$(
        bound_as_text!($name);

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                String::column_result(value).map($name::from_stored)
            }
        }

        impl<'a> pg::FromSql<'a> for $name {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> PgResult<Self> {
                <String as pg::FromSql>::from_sql(ty, raw).map($name::from_stored)
            }

            fn accepts(ty: &Type) -> bool {
                <String as pg::FromSql>::accepts(ty)
            }
        }
    )+};
}

stored_as_text!(OrgId, CampaignId, ConfigurationId, ContactId, AttemptId);
