package dev.balcon.cli;

import ai.djl.Device;
import dev.balcon.BalconException;
import dev.balcon.ComputeDevice;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The option of the verbs that compute; {@link Main} makes it {@link ComputeDevice#current()} for their run. */
final class DeviceOptions {
    static final String DEVICE = "--device";

    @Option(names = DEVICE, defaultValue = "cpu", converter = DeviceConverter.class,
            description = "Device to compute on: cpu, gpu (GPU 0), gpu:N, or auto (GPU 0 if DJL finds one, else "
                    + "the CPU); a GPU needs DJL's CUDA native library, see docs/devices.md "
                    + "(default: ${DEFAULT-VALUE}).")
    Device device;

    /** Turns the library's error into picocli's, so that a bad name is a usage error naming --device. */
    static final class DeviceConverter implements ITypeConverter<Device> {
        @Override
        public Device convert(String value) {
            try {
                return ComputeDevice.parse(value);
            } catch (BalconException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
