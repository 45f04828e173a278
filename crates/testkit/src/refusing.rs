//! A loopback address that refuses every connection and stays refusing.

use std::io;
use std::net::SocketAddr;

/// A loopback port that is bound but never listens, so every connection to
/// it is refused (the kernel answers the SYN with a reset) for as long as
/// this value lives.
///
/// Binding port 0 and dropping the listener gives a refusing port only
/// until the kernel hands the same port to the next `bind("127.0.0.1:0")`,
/// such as an [`EmulatedCluster`](crate::EmulatedCluster) started later
/// in the same test: the "refused" request is then answered. Holding the
/// bound socket keeps the port out of anyone else's reach.
///
/// ```
/// use backup_actuator_testkit::RefusingPort;
///
/// let port = RefusingPort::reserve().unwrap();
/// let refused = std::net::TcpStream::connect(port.addr()).unwrap_err();
/// assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
/// assert!(port.url().starts_with("http://127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct RefusingPort {
    // Bound, never `listen`ed: holds the port.
    _socket: tokio::net::TcpSocket,
    addr: SocketAddr,
}

impl RefusingPort {
    /// Binds a free loopback port without listening on it.
    pub fn reserve() -> io::Result<RefusingPort> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = socket.local_addr()?;
        Ok(RefusingPort {
            _socket: socket,
            addr,
        })
    }

    /// The refusing address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` and the refusing address, for a client's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
