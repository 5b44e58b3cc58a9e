package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchDirTest {

    @TempDir
    Path tmp;

    private final StringWriter progress = new StringWriter();
    private final PrintWriter err = new PrintWriter(progress, true);

    @Test
    void without_dir_a_new_temporary_folder_is_made_and_deleted_with_its_contents_on_close() throws Exception {
        Path root;
        try (ScratchDir scratch = ScratchDir.open(null, "mixin-scratch-", err)) {
            root = scratch.root();
            assertThat(root).isDirectory();
            assertThat(root.getFileName().toString()).startsWith("mixin-scratch-");
            Files.createDirectories(root.resolve("embedded/p0"));
            Files.writeString(root.resolve("embedded/p0/segment"), "data");
        }
        assertThat(root).doesNotExist();
        assertThat(progress.toString()).isEmpty();
    }

    @Test
    void a_given_dir_is_used_as_an_absolute_path_and_kept_with_its_contents_on_close() throws Exception {
        Path given = tmp.resolve("given");
        Files.createDirectories(given);
        Path relative = Path.of("").toAbsolutePath().relativize(given);
        try (ScratchDir scratch = ScratchDir.open(relative, "mixin-scratch-", err)) {
            assertThat(scratch.root()).isAbsolute();
            assertThat(scratch.root().normalize()).isEqualTo(given);
            Files.writeString(scratch.root().resolve("kept"), "data");
        }
        assertThat(given.resolve("kept")).hasContent("data");
    }
}
