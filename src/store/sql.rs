//! How the domain's named values are stored: as their names, read back strictly (a name that
//! campaignd never writes is an error, not a default).

use crate::domain::status::{AttemptStatus, CampaignStatus, ContactStatus, Outcome};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

macro_rules! stored_by_name {
    ($($name:ident),+) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).ok_or_else(|| {
                    FromSqlError::Other(format!("unknown {} '{text}'", stringify!($name)).into())
                })
            }
        }
    )+};
}

stored_by_name!(CampaignStatus, ContactStatus, AttemptStatus, Outcome);
