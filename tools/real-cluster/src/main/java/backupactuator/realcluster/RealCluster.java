package backupactuator.realcluster;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Starts one single-node search engine in this JVM, for the live tests.
 *
 * <p>Usage: {@code RealCluster FAMILY HOME HTTP_PORT TRANSPORT_PORT REPO_DIR [NODE_NAME SEED_PORTS
 * MASTER_NODES]}, where FAMILY is {@code opensearch} or {@code elasticsearch}. Without the last
 * three the node is a single-node cluster; with them it is node NODE_NAME of a cluster on
 * loopback that finds its peers at the comma-separated transport SEED_PORTS and bootstraps from
 * the comma-separated MASTER_NODES (every node master-eligible). The engine's jars come from the Maven profile
 * of the same name (scripts/real-cluster builds the class path). The node listens on
 * 127.0.0.1 only, keeps its data under HOME, allows {@code fs} repositories under REPO_DIR
 * ({@code path.repo}) and has no security plugin, so plain HTTP without credentials works.
 *
 * <p>Why reflection: OpenSearch ({@code org.opensearch}) and Elasticsearch 7
 * ({@code org.elasticsearch}) have the same embedding API under different packages, and
 * OpenSearch 3 takes plugin descriptors where 2.x takes plugin classes. Driving that API
 * reflectively lets one small class serve every engine, compiled against the JDK alone, so
 * the engines' jars never meet on one class path.
 *
 * <p>The process runs until it is killed (SIGTERM closes the node cleanly) and exits non-zero
 * if the node fails to start.
 */
public final class RealCluster {

    private RealCluster() {}

    /**
     * Starts the node and blocks until the JVM is told to stop.
     *
     * @param args FAMILY HOME HTTP_PORT TRANSPORT_PORT REPO_DIR [NODE_NAME SEED_PORTS MASTER_NODES]
     *     (see the class comment)
     * @throws Exception when the launcher itself cannot run (bad arguments exit with 2)
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 5 && args.length != 8) {
            System.err.println(
                    "usage: RealCluster opensearch|elasticsearch HOME HTTP_PORT TRANSPORT_PORT REPO_DIR"
                            + " [NODE_NAME SEED_PORTS MASTER_NODES]");
            System.exit(2);
        }
        String family = args[0];
        if (!family.equals("opensearch") && !family.equals("elasticsearch")) {
            System.err.println("unknown engine family: " + family);
            System.exit(2);
        }
        Path home = Paths.get(args[1]).toAbsolutePath();
        String httpPort = args[2];
        String transportPort = args[3];
        Path repo = Paths.get(args[4]).toAbsolutePath();
        String[] peers = args.length == 8 ? new String[] {args[5], args[6], args[7]} : null;
        try {
            Object node = start(family, home, httpPort, transportPort, repo, peers);
            System.out.println("real-cluster: " + family + " node started, http://127.0.0.1:" + httpPort);
            CountDownLatch closed = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    node.getClass().getMethod("close").invoke(node);
                } catch (ReflectiveOperationException e) {
                    e.printStackTrace();
                }
                closed.countDown();
            }));
            closed.await();
        } catch (InvocationTargetException e) {
            // The engine's own exception says why it did not start.
            e.getCause().printStackTrace();
            System.exit(1);
        }
    }

    /**
     * Builds the node's settings and environment, constructs the node and starts it; {@code peers}
     * is null for a single-node cluster, else NODE_NAME, SEED_PORTS and MASTER_NODES.
     */
    private static Object start(
            String family, Path home, String httpPort, String transportPort, Path repo, String[] peers)
            throws Exception {
        String pkg = "org." + family;
        Path config = Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        Files.createDirectories(repo);

        Class<?> settingsClass = Class.forName(pkg + ".common.settings.Settings");
        Object builder = settingsClass.getMethod("builder").invoke(null);
        Method put = builder.getClass().getMethod("put", String.class, String.class);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("cluster.name", "backup-actuator-real-cluster");
        String nodeName = peers == null ? "real-cluster" : peers[0];
        settings.put("node.name", nodeName);
        settings.put("path.home", home.toString());
        settings.put("path.data", home.resolve("data").toString());
        settings.put("path.logs", home.resolve("logs").toString());
        settings.put("path.repo", repo.toString());
        settings.put("network.host", "127.0.0.1");
        settings.put("http.port", httpPort);
        settings.put("transport.port", transportPort);
        if (peers == null) {
            settings.put("discovery.type", "single-node");
        } else {
            StringBuilder seeds = new StringBuilder();
            for (String port : peers[1].split(",")) {
                seeds.append(seeds.length() == 0 ? "" : ",").append("127.0.0.1:").append(port);
            }
            settings.put("discovery.seed_hosts", seeds.toString());
            // OpenSearch 2 names it either way; OpenSearch 3 only this way.
            String bootstrap = family.equals("opensearch")
                    ? "cluster.initial_cluster_manager_nodes"
                    : "cluster.initial_master_nodes";
            settings.put(bootstrap, peers[2]);
        }
        // A shared build machine's disk may be fuller than the engine's default watermarks;
        // the node must still allocate shards and accept writes.
        settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        for (Map.Entry<String, String> e : settings.entrySet()) {
            put.invoke(builder, e.getKey(), e.getValue());
        }
        Object built = builder.getClass().getMethod("build").invoke(builder);

        Class<?> preparer = Class.forName(pkg + ".node.InternalSettingsPreparer");
        Method prepare = preparer.getMethod(
                "prepareEnvironment", settingsClass, Map.class, Path.class, Supplier.class);
        Supplier<String> defaultNodeName = () -> nodeName;
        Object environment = prepare.invoke(null, built, Collections.emptyMap(), config, defaultNodeName);

        Class<?> environmentClass = Class.forName(pkg + ".env.Environment");
        Class<?> nodeClass = Class.forName(pkg + ".node.Node");
        Constructor<?> constructor =
                nodeClass.getDeclaredConstructor(environmentClass, Collection.class, boolean.class);
        constructor.setAccessible(true);
        Object node = constructor.newInstance(environment, plugins(pkg, constructor), true);
        nodeClass.getMethod("start").invoke(node);
        return node;
    }

    /**
     * The HTTP transport plugin, in the form this engine's Node constructor takes: plugin classes
     * (Elasticsearch 7, OpenSearch 2) or plugin descriptors (OpenSearch 3).
     */
    private static List<Object> plugins(String pkg, Constructor<?> constructor) throws Exception {
        Class<?> netty;
        try {
            netty = Class.forName(pkg + ".transport.Netty4Plugin");
        } catch (ClassNotFoundException e) {
            // OpenSearch 3.9 renamed it.
            netty = Class.forName(pkg + ".transport.Netty4ModulePlugin");
        }
        List<Object> plugins = new ArrayList<>();
        Type pluginsType = constructor.getGenericParameterTypes()[1];
        Type element = ((ParameterizedType) pluginsType).getActualTypeArguments()[0];
        if (element instanceof Class<?> && ((Class<?>) element).getSimpleName().equals("PluginInfo")) {
            plugins.add(pluginInfo((Class<?>) element, pkg, netty));
        } else {
            plugins.add(netty);
        }
        return plugins;
    }

    /** OpenSearch 3's descriptor of a plugin loaded from the class path (as its test framework builds it). */
    private static Object pluginInfo(Class<?> infoClass, String pkg, Class<?> plugin) throws Exception {
        Class<?> versionClass = Class.forName(pkg + ".Version");
        Object current = versionClass.getField("CURRENT").get(null);
        Constructor<?> c = infoClass.getConstructor(
                String.class, String.class, String.class, versionClass, String.class, String.class,
                List.class, boolean.class);
        return c.newInstance(
                plugin.getName(), "classpath plugin", "NA", current,
                Integer.toString(Runtime.version().feature()), plugin.getName(),
                Collections.emptyList(), false);
    }
}
