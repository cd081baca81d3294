package kadapter;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import com.sun.net.httpserver.spi.HttpServerProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * StanfordCoreNLPServer always binds the wildcard address and has no option to change it.
 * Installed with -Dcom.sun.net.httpserver.HttpServerProvider=kadapter.LoopbackHttpServerProvider,
 * this provider rewrites a wildcard bind to the address in -Dkadapter.bindAddress (default
 * 127.0.0.1), so the server is reachable from this machine only.
 * Needs --add-exports jdk.httpserver/sun.net.httpserver=ALL-UNNAMED for the JDK's own provider.
 */
public final class LoopbackHttpServerProvider extends HttpServerProvider {
  private final HttpServerProvider delegate;
  private final InetAddress bindAddress;

  public LoopbackHttpServerProvider() {
    try {
      delegate = (HttpServerProvider) Class.forName("sun.net.httpserver.DefaultHttpServerProvider")
          .getDeclaredConstructor().newInstance();
      bindAddress = InetAddress.getByName(System.getProperty("kadapter.bindAddress", "127.0.0.1"));
    } catch (ReflectiveOperationException | IOException e) {
      throw new IllegalStateException("kadapter: cannot set up the loopback HTTP server provider", e);
    }
  }

  private InetSocketAddress rebind(InetSocketAddress addr) {
    if (addr == null || !addr.getAddress().isAnyLocalAddress()) return addr;
    return new InetSocketAddress(bindAddress, addr.getPort());
  }

  @Override
  public HttpServer createHttpServer(InetSocketAddress addr, int backlog) throws IOException {
    return delegate.createHttpServer(rebind(addr), backlog);
  }

  @Override
  public HttpsServer createHttpsServer(InetSocketAddress addr, int backlog) throws IOException {
    return delegate.createHttpsServer(rebind(addr), backlog);
  }
}
