package kadapter;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs another program's main class under kadapter's supervision rules:
 * with -Dkadapter.watchParent=true the JVM exits as soon as its standard input reaches EOF,
 * which happens when the Node process that started it dies, even by SIGKILL. That is what keeps
 * a crashed pipeline from leaving an orphan JVM behind. Detached services (services:start) run
 * without the watch because their stdin is /dev/null.
 *
 * Usage: java -cp ... kadapter.ServiceMain <main class> [args...]
 */
public final class ServiceMain {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: kadapter.ServiceMain <main class> [args...]");
      System.exit(2);
    }
    if (Boolean.getBoolean("kadapter.watchParent")) {
      Thread watch = new Thread(ServiceMain::exitOnStdinEof, "kadapter-parent-watch");
      watch.setDaemon(true);
      watch.start();
    }
    Class<?> target = Class.forName(args[0]);
    Method main = target.getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      // Threads the failed main already started (Neo4j's) would keep the JVM alive; the
      // supervisor should see an exit with the cause in the log, not wait for a timeout.
      e.getCause().printStackTrace();
      System.exit(1);
    }
  }

  private static void exitOnStdinEof() {
    InputStream in = System.in;
    byte[] buf = new byte[256];
    try {
      while (in.read(buf) >= 0) {
        // The parent never writes; anything read is ignored.
      }
    } catch (IOException e) {
      // A broken pipe means the parent is gone too.
    }
    System.err.println("kadapter: parent process gone, shutting down");
    System.exit(0);
  }
}
