package tracegraph.neo4jlauncher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

/**
 * Runs a real Neo4j 5.26 Community server in-process (neo4j-harness) for tracegraph's tests.
 *
 * <pre>
 *   java -jar tracegraph-neo4j-launcher.jar DATA_ROOT [BOLT_PORT]
 * </pre>
 *
 * Environment (all optional):
 *   NEO4J_BOLT_PORT     Bolt port when not given as 2nd argument (default 7687)
 *   NEO4J_HTTP_PORT     if set and > 0, enable the HTTP API on 127.0.0.1:PORT (default: HTTP off)
 *   NEO4J_PAGECACHE_MB  page cache size in MiB (default 256)
 *   NEO4J_PID_FILE      if set, this JVM's pid is written there once the server is ready
 *   NEO4J_SETTINGS      more Neo4j settings, "name=value" separated by ';' or newlines, e.g.
 *                       "dbms.cypher.min_replan_interval=1h" (any setting neo4j.conf takes)
 *
 * Everything listens on 127.0.0.1 only, auth is disabled, Bolt is unencrypted.
 *
 * Persistence: Neo4jBuilders.newInProcessBuilder(dir) always works in a fresh random (md5-named)
 * sub-folder of dir and deletes it on close, i.e. it is throw-away by design. To keep data across
 * restarts we point neo4j_home at DATA_ROOT/home (stable; holds data/ and logs/debug.log) and give the
 * harness DATA_ROOT/harness-tmp as its scratch area (only its neo4j.log ends up there).
 */
public final class Launcher {
    public static final String READY_MARKER = "TRACEGRAPH_NEO4J_READY";

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || args[0].startsWith("-")) {
            System.err.println("usage: java -jar tracegraph-neo4j-launcher.jar DATA_ROOT [BOLT_PORT]");
            System.exit(2);
        }
        Path root = Paths.get(args[0]).toAbsolutePath().normalize();
        int boltPort = parsePort(args.length > 1 ? args[1] : env("NEO4J_BOLT_PORT", "7687"), "bolt");
        int httpPort = parsePort(env("NEO4J_HTTP_PORT", "0"), "http");
        long pageCacheMb = Long.parseLong(env("NEO4J_PAGECACHE_MB", "256"));

        Path home = root.resolve("home");
        Path scratch = root.resolve("harness-tmp");
        Files.createDirectories(home);
        Files.createDirectories(scratch);
        cleanScratch(scratch); // leftovers of a previous run that was SIGKILLed

        Neo4jBuilder builder = Neo4jBuilders.newInProcessBuilder(scratch)
                .withConfig(GraphDatabaseSettings.neo4j_home, home)
                .withConfig(GraphDatabaseSettings.auth_enabled, false)
                // no "anonymous usage data" phone-home: tests must only talk to loopback
                .withConfig(GraphDatabaseSettings.udc_enabled, false)
                .withConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                .withConfig(BoltConnector.enabled, true)
                .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", boltPort))
                .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", boltPort))
                .withConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .withConfig(HttpsConnector.enabled, false);
        for (var entry : extraSettings(env("NEO4J_SETTINGS", "")).entrySet()) {
            builder = builder.withConfig(entry.getKey(), entry.getValue());
        }
        if (httpPort > 0) {
            builder = builder.withConfig(HttpConnector.enabled, true)
                    .withConfig(HttpConnector.listen_address, new SocketAddress("127.0.0.1", httpPort));
        } else {
            builder = builder.withDisabledServer(); // HTTP and HTTPS off
        }

        log("starting Neo4j (neo4j-harness, Community) home=" + home + " bolt=127.0.0.1:" + boltPort
                + (httpPort > 0 ? " http=127.0.0.1:" + httpPort : " http=off"));
        long t0 = System.nanoTime();
        final Neo4j neo4j;
        try {
            neo4j = builder.build();
        } catch (Throwable e) {
            log("FAILED to start Neo4j: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("shutdown requested, stopping Neo4j ...");
            try {
                neo4j.close(); // clean shutdown: checkpoint + store files closed
                log("Neo4j stopped cleanly");
            } catch (Throwable e) {
                log("error while stopping Neo4j: " + e);
            } finally {
                stopped.countDown();
            }
        }, "neo4j-shutdown"));

        String pidFile = System.getenv("NEO4J_PID_FILE");
        long pid = ProcessHandle.current().pid();
        if (pidFile != null && !pidFile.isEmpty()) {
            Path p = Paths.get(pidFile);
            Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
            Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }

        long ms = (System.nanoTime() - t0) / 1_000_000;
        log(READY_MARKER + " bolt=" + neo4j.boltURI() + (httpPort > 0 ? " http=" + neo4j.httpURI() : "")
                + " pid=" + pid + " startup_ms=" + ms);

        stopped.await(); // run until killed (SIGTERM/SIGINT run the shutdown hook)
    }

    /** Settings given as "name=value" pairs, parsed as neo4j.conf would parse them. */
    private static java.util.Map<org.neo4j.graphdb.config.Setting<Object>, Object> extraSettings(String spec) {
        java.util.Map<String, String> raw = new java.util.LinkedHashMap<>();
        for (String pair : spec.split("[;\n]")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                System.err.println("NEO4J_SETTINGS: not name=value: " + pair);
                System.exit(2);
            }
            raw.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
        java.util.Map<org.neo4j.graphdb.config.Setting<Object>, Object> out = new java.util.LinkedHashMap<>();
        if (raw.isEmpty()) {
            return out;
        }
        org.neo4j.configuration.Config parsed = org.neo4j.configuration.Config.newBuilder().setRaw(raw).build();
        for (String name : raw.keySet()) {
            org.neo4j.graphdb.config.Setting<Object> setting = parsed.getSetting(name);
            out.put(setting, parsed.get(setting));
            log("setting " + name + "=" + parsed.get(setting));
        }
        return out;
    }

    private static void cleanScratch(Path scratch) throws IOException {
        try (Stream<Path> children = Files.list(scratch)) {
            for (Path child : (Iterable<Path>) children::iterator) {
                if (child.getFileName().toString().matches("[0-9a-f]{32}")) {
                    try (Stream<Path> walk = Files.walk(child)) {
                        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
            }
        }
    }

    private static int parsePort(String s, String what) {
        try {
            int port = Integer.parseInt(s.trim());
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            System.err.println("invalid " + what + " port: " + s);
            System.exit(2);
            return -1;
        }
    }

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : v;
    }

    private static void log(String msg) {
        System.out.println("[tracegraph-neo4j] " + java.time.Instant.now() + " " + msg);
        System.out.flush();
    }
}
