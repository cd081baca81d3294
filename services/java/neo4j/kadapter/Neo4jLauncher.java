package kadapter;

import java.nio.file.Path;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import java.time.Duration;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Embedded Neo4j community with only the Bolt connector, on a loopback address.
 *
 * Usage: Neo4jLauncher <home dir> <bolt port>
 * Environment: KADAPTER_NEO4J_PASSWORD  password for the user "neo4j" (auth is on);
 *              KADAPTER_NEO4J_BIND      bind address (default 127.0.0.1);
 *              KADAPTER_NEO4J_PAGECACHE_MB page cache size (default 512).
 * Prints "kadapter-neo4j ready <version> bolt://host:port" once the database accepts connections.
 */
public final class Neo4jLauncher {
  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: kadapter.Neo4jLauncher <home dir> <bolt port>");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    String bind = System.getenv().getOrDefault("KADAPTER_NEO4J_BIND", "127.0.0.1");
    String password = System.getenv("KADAPTER_NEO4J_PASSWORD");
    long pageCacheMb = Long.parseLong(System.getenv().getOrDefault("KADAPTER_NEO4J_PAGECACHE_MB", "512"));
    if (password == null || password.length() < 8) {
      System.err.println("kadapter: KADAPTER_NEO4J_PASSWORD must be set (8 characters or more)");
      System.exit(2);
    }

    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress(bind, port))
        .setConfig(BoltConnector.advertised_address, new SocketAddress(bind, port))
        .setConfig(GraphDatabaseSettings.auth_enabled, true)
        .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
        // Bolt waits 5 s twice for connections to drain on shutdown; clients of this server have
        // closed theirs by then, so stop promptly.
        .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(500))
        .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(500))
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "kadapter-neo4j-shutdown"));

    // The default user starts with password "neo4j" and a forced change; set ours instead.
    // SET PASSWORD fails when the new password equals the current one, which is the normal case
    // on every start after the first.
    GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
    try {
      system.executeTransactionally(
          "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
    } catch (RuntimeException e) {
      if (!String.valueOf(e.getMessage()).contains("Old password and new password cannot be the same")) {
        throw e;
      }
    }
    GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    String version = db.executeTransactionally(
        "CALL dbms.components() YIELD versions RETURN versions[0] AS v", Map.of(),
        result -> String.valueOf(result.next().get("v")));
    System.out.println("kadapter-neo4j ready " + version + " bolt://" + bind + ":" + port);
    System.out.flush();
  }
}
