import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.yamcs.ContainerExtractionResult;
import org.yamcs.YConfiguration;
import org.yamcs.mdb.ContainerProcessingResult;
import org.yamcs.mdb.Mdb;
import org.yamcs.mdb.MdbFactory;
import org.yamcs.mdb.XtceTmExtractor;
import org.yamcs.parameter.ParameterValue;
import org.yamcs.parameter.Value;
import org.yamcs.utils.TimeEncoding;
import org.yamcs.xtce.BaseDataType;
import org.yamcs.xtce.Container;
import org.yamcs.xtce.DataEncoding;
import org.yamcs.xtce.Parameter;
import org.yamcs.xtce.ParameterEntry;
import org.yamcs.xtce.SequenceContainer;
import org.yamcs.xtce.SequenceEntry;

/**
 * Loads an XTCE file with the YAMCS XTCE loader and decodes telemetry packets, given as one
 * hexadecimal packet per line (in a file or on standard input), with the YAMCS XTCE TM
 * extractor. For each packet it prints "packet N container NAME" and then one line per
 * parameter, "NAME = RAW / ENGINEERING". Strings are JSON-quoted, binary values are 0x-hex.
 *
 * Usage: java YamcsCheck XTCE_FILE [PACKETS_FILE]. Exits 1 if the XTCE does not load or a
 * packet does not decode (no leaf container matched, fewer parameters than its entries, a
 * length other than the sum of its entries' encoded sizes, or an invalid parameter value).
 */
public final class YamcsCheck {

    private YamcsCheck() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: java YamcsCheck XTCE_FILE [PACKETS_FILE]");
            System.exit(2);
        }
        TimeEncoding.setUp();
        Mdb mdb;
        SequenceContainer root;
        try {
            mdb = load(args[0]);
            root = rootContainer(mdb);
        } catch (RuntimeException e) {
            System.err.println("LOAD FAILED: " + e);
            System.exit(1);
            return;
        }
        System.out.println("loaded " + args[0] + ": " + mdb.getSequenceContainers().size()
                + " containers, " + mdb.getParameters().size() + " parameters, "
                + mdb.getMetaCommands().size() + " commands");
        XtceTmExtractor extractor = new XtceTmExtractor(mdb);
        extractor.provideAll();
        Set<Container> bases = new HashSet<>();
        for (SequenceContainer container : mdb.getSequenceContainers()) {
            bases.add(container.getBaseContainer());
        }
        int failures = 0;
        List<String> lines = readLines(args.length == 2 ? args[1] : null);
        for (int i = 0; i < lines.size(); i++) {
            if (!decode(extractor, root, bases, i + 1, lines.get(i))) {
                failures++;
            }
        }
        System.out.println("decoded " + (lines.size() - failures) + " of " + lines.size()
                + " packets");
        System.exit(failures == 0 ? 0 : 1);
    }

    private static Mdb load(String xtceFile) {
        Map<String, Object> loader = Map.of("type", "xtce", "spec", xtceFile);
        return MdbFactory.createInstance(List.of(YConfiguration.wrap(loader)), false, false);
    }

    /** The container every packet starts from: the one without a base container. */
    private static SequenceContainer rootContainer(Mdb mdb) {
        if (mdb.getRootSequenceContainer() != null) {
            return mdb.getRootSequenceContainer();
        }
        for (SequenceContainer container : mdb.getSequenceContainers()) {
            if (container.getBaseContainer() == null) {
                return container;
            }
        }
        throw new IllegalStateException("the XTCE has no root sequence container");
    }

    private static List<String> readLines(String file) throws IOException {
        Reader source = file == null
                ? new InputStreamReader(System.in, StandardCharsets.UTF_8)
                : Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(source)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    lines.add(line.strip());
                }
            }
        }
        return lines;
    }

    /** Decodes and prints one packet; false if it did not decode to a leaf container. */
    private static boolean decode(XtceTmExtractor extractor, SequenceContainer root,
            Set<Container> bases, int number, String hex) {
        ContainerProcessingResult result;
        byte[] packet;
        try {
            packet = HexFormat.of().parseHex(hex);
            result = extractor.processPacket(packet, 0L, 0L, 0, root);
        } catch (RuntimeException e) {
            System.out.println("packet " + number + " FAILED: " + e);
            return false;
        }
        List<ContainerExtractionResult> containers = result.getContainerResult();
        SequenceContainer last = containers.isEmpty() ? null
                : containers.get(containers.size() - 1).getContainer();
        if (last == null || bases.contains(last)) {
            System.out.println("packet " + number + " FAILED: no leaf container matched");
            return false;
        }
        System.out.println("packet " + number + " container " + last.getQualifiedName());
        boolean invalid = false;
        for (ParameterValue value : result.getParameterResult()) {
            System.out.println(value.getParameter().getName() + " = "
                    + format(value.getRawValue()) + " / " + format(value.getEngValue())
                    + (value.isInvalid() ? " [INVALID]" : ""));
            invalid |= value.isInvalid();
        }
        String problem = invalid ? "invalid parameter values"
                : sizeProblem(last, result.getParameterResult().size(), packet.length);
        if (problem != null) {
            System.out.println("packet " + number + " FAILED: " + problem);
        }
        return problem == null;
    }

    /**
     * Why the decoded parameters do not cover the packet exactly (fewer values than the
     * container chain's parameter entries, or octets left over), or null.
     */
    private static String sizeProblem(SequenceContainer leaf, int decoded, int octets) {
        int entries = 0;
        int bits = 0;
        for (Container c = leaf; c != null; c = c.getBaseContainer()) {
            for (SequenceEntry entry : c.getEntryList()) {
                if (entry instanceof ParameterEntry) {
                    entries++;
                    int size = encodedBits(((ParameterEntry) entry).getParameter());
                    bits = bits < 0 || size <= 0 ? -1 : bits + size;
                }
            }
        }
        if (decoded == entries && (bits < 0 || bits == 8 * octets)) {
            return null;
        }
        return octets + " octets gave " + decoded + " parameters; the container has " + entries
                + " parameters in " + (bits < 0 ? "a variable size" : bits + " bits");
    }

    /** The encoded size of a parameter, -1 when the XTCE gives none. */
    private static int encodedBits(Parameter parameter) {
        if (parameter.getParameterType() instanceof BaseDataType) {
            DataEncoding encoding = ((BaseDataType) parameter.getParameterType()).getEncoding();
            return encoding == null ? -1 : encoding.getSizeInBits();
        }
        return -1;
    }

    private static String format(Value value) {
        if (value == null) {
            return "null";
        }
        switch (value.getType()) {
            case BINARY:
                return "0x" + HexFormat.of().formatHex(value.getBinaryValue());
            case STRING:
            case ENUMERATED:
                return quote(value.getStringValue());
            case TIMESTAMP:
                return quote(TimeEncoding.toString(value.getTimestampValue()));
            default:
                return value.toString();
        }
    }

    /** A JSON string literal. */
    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
