//! `--database-url` as libpq reads it, with TLS by rustls: `sslmode` `disable`, `prefer` (the
//! default), `require` (encrypted, the certificate not checked, as libpq), `verify-ca` and
//! `verify-full` (checked against the bundled web roots, or `sslrootcert=<file>`).

use super::postgres::ConnectError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The connection settings and the TLS connector `url` asks for.
pub fn parse(url: &str) -> Result<(tokio_postgres::Config, MakeRustlsConnect), ConnectError> {
    let bad = |text: String| ConnectError::Url(text);
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(bad("must start with postgres:// or postgresql://".into()));
    }
    // tokio-postgres knows neither verify-ca/verify-full nor sslrootcert: they are read here.
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = "prefer".to_string();
    let mut root_file = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "sslmode" => mode = value.into_owned(),
            "sslrootcert" => root_file = Some(value.into_owned()),
            _ => {
                rest.append_pair(&key, &value);
            }
        }
    }
    let rest = rest.finish();
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{rest}")
    };
    let mut config: tokio_postgres::Config = url
        .parse()
        // The driver's message names the part it could not read, never the password.
        .map_err(|e: tokio_postgres::Error| bad(e.to_string()))?;
    config.connect_timeout(std::time::Duration::from_secs(5));
    config.application_name("campaignd");

    let (ssl_mode, verify) = match mode.as_str() {
        "disable" => (SslMode::Disable, Verify::Nothing),
        "prefer" => (SslMode::Prefer, Verify::Nothing),
        "require" => (SslMode::Require, Verify::Nothing),
        "verify-ca" => (SslMode::Require, Verify::Chain),
        "verify-full" => (SslMode::Require, Verify::ChainAndName),
        other => {
            return Err(bad(format!(
                "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    config.ssl_mode(ssl_mode);
    let roots = roots(root_file.as_deref())?;
    Ok((config, MakeRustlsConnect::new(client_config(verify, roots))))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verify {
    Nothing,
    Chain,
    ChainAndName,
}

fn roots(file: Option<&str>) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    match file {
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(path) => {
            for cert in CertificateDer::pem_file_iter(path)
                .map_err(|e| ConnectError::Url(format!("sslrootcert={path}: {e}")))?
            {
                let cert =
                    cert.map_err(|e| ConnectError::Url(format!("sslrootcert={path}: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| ConnectError::Url(format!("sslrootcert={path}: {e}")))?;
            }
        }
    }
    Ok(roots)
}

fn client_config(verify: Verify, roots: RootCertStore) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("the roots are usable");
    let verifier = Arc::new(Verifier {
        verify,
        webpki,
        provider,
    });
    builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// libpq's levels of checking: the handshake's signatures are always verified (the connection
/// is encrypted to whoever holds the key); the chain and the name only as `sslmode` asks.
#[derive(Debug)]
struct Verifier {
    verify: Verify,
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.verify {
            Verify::Nothing => Ok(ServerCertVerified::assertion()),
            Verify::ChainAndName => self.webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            Verify::Chain => {
                let checked = self.webpki.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                );
                match checked {
                    Err(Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
                    | Err(Error::InvalidCertificate(
                        rustls::CertificateError::NotValidForNameContext { .. },
                    )) => Ok(ServerCertVerified::assertion()),
                    other => other,
                }
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn sslmode_and_rootcert_are_read_here_and_the_rest_by_the_driver() {
        let (config, _) =
            parse("postgres://u:secret@db.example:6543/app?sslmode=verify-full&connect_timeout=3")
                .unwrap();
        assert_eq!(config.get_dbname(), Some("app"));
        assert_eq!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        let Err(refused) = parse("postgres://u:secret@h/db?sslmode=allow") else {
            panic!("sslmode=allow is refused");
        };
        assert!(!refused.to_string().contains("secret"), "{refused}");
        assert!(parse("mysql://h/db").is_err_and(|e| e.to_string().contains("postgres://")));
    }
}
