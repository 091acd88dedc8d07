using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ActorService.Actors.Resources.Events;

/// <summary>
/// A file opened for appending the way several processes can share it: on Unix with <c>O_APPEND</c>, so every
/// <c>write(2)</c> lands at the end of the file as it is at that moment, whoever else appended since.
/// <para>
/// <see cref="FileMode.Append"/> is not that: .NET opens the file without <c>O_APPEND</c>, seeks to the end once and
/// then writes at its own remembered offset (<c>pwrite</c>), so a second process on the same file overwrites the lines
/// the first one appended after it opened (issue 13: several nodes on one data folder lost events whose outbox rows
/// were already marked shipped). On Windows, <see cref="FileMode.Append"/> asks for append-only access, which the
/// system honours per write.
/// </para>
/// </summary>
public sealed partial class AppendOnlyFile : IDisposable
{
    private const int ReadWriteForOwnerReadForOthers = 0x1A4; // 0644
    private readonly SafeFileHandle? _handle; // Unix: the O_APPEND descriptor
    private readonly FileStream? _stream; // Windows

    public AppendOnlyFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            return;
        }
        var fd = Native.Open(path, Native.OpenFlags(), ReadWriteForOwnerReadForOthers);
        if (fd < 0) throw new IOException($"Cannot open {path} for appending: errno {Marshal.GetLastPInvokeError()}");
        _handle = new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>Appends <paramref name="bytes"/> in one write (one batch never interleaves with another process's) and fsyncs.</summary>
    public void AppendAndSync(byte[] bytes)
    {
        if (_stream is not null)
        {
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
            return;
        }
        var fd = (int)_handle!.DangerousGetHandle();
        var offset = 0;
        while (offset < bytes.Length)
        {
            // A regular file takes the whole buffer in one write unless the disk is full or a signal interrupts it.
            var chunk = offset == 0 ? bytes : bytes[offset..];
            var written = Native.Write(fd, chunk, chunk.Length);
            if (written < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EINTR) continue;
                throw new IOException($"Appending to the events file failed: errno {errno}");
            }
            offset += (int)written;
        }
        if (Native.Fsync(fd) != 0) throw new IOException($"fsync of the events file failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _stream?.Dispose();
    }

    private static class Native
    {
        public const int EINTR = 4;

        // O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC; the values differ between Linux and the BSDs (macOS).
        public static int OpenFlags() => OperatingSystem.IsLinux() ? 0x1 | 0x40 | 0x400 | 0x80000 : 0x1 | 0x200 | 0x8 | 0x1000000;

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

        [DllImport("libc", EntryPoint = "write", SetLastError = true)]
        public static extern nint Write(int fd, byte[] buffer, nint count);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static extern int Fsync(int fd);
    }
}
