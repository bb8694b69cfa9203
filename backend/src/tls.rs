//! TLS without a reverse proxy (`--tls-cert`, `--tls-key`): rustls with the *ring* provider,
//! HTTP/2 and HTTP/1.1 offered by ALPN, the certificate and key read again on SIGHUP.
//!
//! The certificate is chosen per handshake by [`Reloading`], so a reload changes what new
//! connections get and leaves the open ones (and their event streams) alone. A reload that fails
//! (a missing file, a key that does not match the certificate, a half-written file) keeps the
//! certificate in use and logs why: a renewal script's mistake must not take the console down.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use tokio_rustls::rustls::{
    self,
    crypto::CryptoProvider,
    pki_types::{pem::PemObject as _, CertificateDer, PrivateKeyDer},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
};

/// The TLS side of the listener.
pub struct Tls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    certs: Arc<Reloading>,
}

/// The certificate and key files, and what was last read from them.
struct Reloading {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl std::fmt::Debug for Reloading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reloading({})", self.cert.display())
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

impl Tls {
    /// TLS for `--tls-cert` and `--tls-key` (PEM: the certificate chain, leaf first; a PKCS#8,
    /// PKCS#1 or SEC1 private key). Errors name the flag and the file.
    pub fn new(cert: &Path, key: &Path) -> Result<Tls, String> {
        // ring, chosen explicitly: rustls cannot pick a default when the dependency tree also
        // enables aws-lc-rs (the tests' WebDriver client does).
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let first = load(cert, key, &provider)?;
        let certs = Arc::new(Reloading {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider: provider.clone(),
            current: RwLock::new(Arc::new(first)),
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("--tls-cert: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(certs.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            certs,
        })
    }

    /// Reads the certificate and key again; on failure the current ones stay.
    pub fn reload(&self) -> Result<(), String> {
        let c = &self.certs;
        let fresh = load(&c.cert, &c.key, &c.provider)?;
        *c.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh);
        Ok(())
    }

    /// Reloads on every SIGHUP for as long as the returned task runs.
    pub fn reload_on_sighup(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let mut hangups =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(
                        "tls: no SIGHUP handler ({e}): certificates reload only on restart"
                    );
                    return None;
                }
            };
        let tls = self.clone();
        Some(tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match tls.reload() {
                    Ok(()) => tracing::warn!(
                        cert = %tls.certs.cert.display(),
                        "tls: certificate reloaded (SIGHUP); new connections use it"
                    ),
                    Err(e) => tracing::error!(
                        "tls: reload on SIGHUP failed, the previous certificate stays: {e}"
                    ),
                }
            }
        }))
    }
}

fn load(cert: &Path, key: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no PEM certificate in it",
            cert.display()
        ));
    }
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: no PEM private key read: {e}", key.display()))?;
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| {
        format!(
            "--tls-key {} does not belong to --tls-cert {}: {e}",
            key.display(),
            cert.display()
        )
    })?;
    Ok(certified)
}
