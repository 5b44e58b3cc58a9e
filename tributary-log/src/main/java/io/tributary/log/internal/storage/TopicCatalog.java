package io.tributary.log.internal.storage;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.log.TopicConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The durable list of topics with their partition counts and config overrides, in {@code <dataDir>/topics.properties}
 * (Java properties, UTF-8), rewritten atomically ({@link AtomicFiles}) on every change. Creating a topic makes its
 * partition folders first and then writes the catalog (the commit point); deleting writes the catalog first and then
 * removes the folders, so a crash never leaves a listed topic without its folders.
 *
 * <pre>
 * format.version=1
 * topic/&lt;name&gt;/partitions=&lt;N&gt;
 * topic/&lt;name&gt;/config/&lt;key&gt;=&lt;value&gt;     one line per override
 * </pre>
 * ({@code /} cannot occur in a topic name, so the keys are unambiguous.)
 *
 * <p>Not thread-safe; the storage serialises topic changes.
 */
final class TopicCatalog {

    static final String FILE_NAME = "topics.properties";

    record Entry(int partitions, TopicConfig config) {
    }

    private TopicCatalog() {
    }

    static Map<String, Entry> read(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new TreeMap<>();
        }
        Properties props = new Properties();
        props.load(new StringReader(text));
        String version = props.getProperty("format.version");
        if (!"1".equals(version)) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Topic catalog " + file + " has format.version="
                    + version + ", which this version of Tributary cannot read; open the folder with the version "
                    + "that wrote it, or restore the file from a backup.");
        }
        Map<String, Integer> counts = new TreeMap<>();
        Map<String, Map<String, String>> configs = new TreeMap<>();
        for (String name : props.stringPropertyNames()) {
            String[] parts = name.split("/", 4);
            if (parts.length == 3 && parts[0].equals("topic") && parts[2].equals("partitions")) {
                counts.put(parts[1], Integer.parseInt(props.getProperty(name).trim()));
            } else if (parts.length == 4 && parts[0].equals("topic") && parts[2].equals("config")) {
                configs.computeIfAbsent(parts[1], k -> new LinkedHashMap<>()).put(parts[3], props.getProperty(name));
            }
        }
        Map<String, Entry> out = new TreeMap<>();
        counts.forEach((topic, n) -> out.put(topic, new Entry(n, TopicConfig.of(configs.getOrDefault(topic, Map.of())))));
        return out;
    }

    static void write(Path dataDir, Map<String, Entry> topics) throws IOException {
        Properties props = new Properties();
        props.setProperty("format.version", "1");
        topics.forEach((topic, e) -> {
            props.setProperty("topic/" + topic + "/partitions", String.valueOf(e.partitions()));
            e.config().overrides().forEach((k, v) -> props.setProperty("topic/" + topic + "/config/" + k, v));
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        props.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), "Tributary topic catalog; do not edit while the log is open");
        AtomicFiles.write(dataDir.resolve(FILE_NAME), out.toByteArray());
    }
}
