package dev.balcon.train;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/** Mutations of binary files for the fuzzing property tests, and the checksum trailer of {@link ChecksummedFile}. */
public final class FileMutations {
    private FileMutations() {}

    /** A change to a file's bytes. */
    public interface Mutation {
        byte[] apply(byte[] bytes);
    }

    /** Truncation, byte flips, and ints (sizes, counts, versions) written over any field. */
    public static Arbitrary<Mutation> mutations() {
        Arbitrary<Double> position = Arbitraries.doubles().between(0, 1);
        Arbitrary<Mutation> truncate = position.map(at -> bytes -> Arrays.copyOf(bytes, (int) (at * bytes.length)));
        Arbitrary<Mutation> flip = Combinators.combine(position, Arbitraries.integers().between(1, 255))
                .as((at, mask) -> bytes -> {
                    byte[] copy = bytes.clone();
                    int i = Math.min(copy.length - 1, (int) (at * copy.length));
                    if (i >= 0) {
                        copy[i] ^= mask.byteValue();
                    }
                    return copy;
                });
        // Header fields lie in the first few hundred bytes: aim most overwrites there.
        Arbitrary<Integer> headerOffset = Arbitraries.integers().between(0, 400);
        Arbitrary<Integer> value = Arbitraries.oneOf(
                Arbitraries.of(0, -1, 1, 2, 3, 4, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 30, 65535),
                Arbitraries.integers());
        Arbitrary<Mutation> overwrite = Combinators.combine(headerOffset, value).as((at, v) -> bytes -> {
            byte[] copy = bytes.clone();
            if (at + 4 <= copy.length) {
                ByteBuffer.wrap(copy).putInt(at, v);
            }
            return copy;
        });
        Arbitrary<Mutation> overwriteAnywhere = Combinators.combine(position, value).as((at, v) -> bytes -> {
            byte[] copy = bytes.clone();
            if (copy.length >= 4) {
                int i = (int) (at * (copy.length - 4));
                ByteBuffer.wrap(copy).putInt(i, v);
            }
            return copy;
        });
        return Arbitraries.frequencyOf(
                Tuple.of(2, truncate), Tuple.of(3, flip),
                Tuple.of(4, overwrite), Tuple.of(2, overwriteAnywhere));
    }

    /** The mutations applied in order. */
    public static byte[] apply(byte[] bytes, List<Mutation> mutations) {
        byte[] result = bytes;
        for (Mutation mutation : mutations) {
            result = mutation.apply(result);
        }
        return result;
    }

    /** Replaces the last 4 bytes with the CRC32C of the bytes before them (as a writer would). */
    public static byte[] reseal(byte[] bytes) {
        if (bytes.length < ChecksummedFile.CHECKSUM_BYTES) {
            return bytes;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - ChecksummedFile.CHECKSUM_BYTES);
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).putInt(copy.length - ChecksummedFile.CHECKSUM_BYTES, (int) crc.getValue());
        return copy;
    }
}
