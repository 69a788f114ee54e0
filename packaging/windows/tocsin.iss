; Inno Setup 6 script for Tocsin on Windows 10/11 x64.
;
; NOT BUILT OR TESTED HERE: Tocsin's packaging is developed on Linux, and a PyInstaller
; bundle can only be built on the operating system it is for.  See BUILDING-WINDOWS.md
; (next to this file) for the steps on a Windows build machine.
;
; Input:  dist\tocsin\ from `pyinstaller packaging\tocsin.spec` on Windows
;         (tocsin.exe = command line, tocsinw.exe = console without a terminal window)
; Output: dist\installer\tocsin-<version>-windows-x64-setup.exe
;
; Per-machine install into Program Files (managed workstations; IT deploys it silently:
;   tocsin-0.1.0-windows-x64-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART
; ).  The installer never touches agency data: the database, profile and keys live under
; %LOCALAPPDATA%\tocsin and are kept on uninstall (docs\deployment.md).

#define AppName "Tocsin"
#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define RepoRoot "..\.."

[Setup]
; A fixed AppId keeps upgrades in place; never change it.
AppId={{6B0E2C1A-5D3F-4C8E-9A7B-2F1D0C3E4B5A}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=The Tocsin project
AppComments=Gunfire alert console for 9-1-1 dispatch centers
DefaultDirName={autopf}\Tocsin
DefaultGroupName=Tocsin
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
OutputDir={#RepoRoot}\dist\installer
OutputBaseFilename=tocsin-{#AppVersion}-windows-x64-setup
SetupIconFile={#RepoRoot}\build\icons\tocsin.ico
UninstallDisplayIcon={app}\tocsinw.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the tocsin command to the system PATH (for administrators' scripts)"; Flags: unchecked

[Files]
; The whole onedir bundle: tocsin.exe, tocsinw.exe and _internal\ (Python, Qt with
; QtWebEngineProcess.exe, ICU data, locales, Tocsin's resources).
Source: "{#RepoRoot}\dist\tocsin\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{#RepoRoot}\docs\deployment.md"; DestDir: "{app}\docs"; Flags: ignoreversion

[Icons]
Name: "{group}\Tocsin console"; Filename: "{app}\tocsinw.exe"; Parameters: "console"; WorkingDir: "{app}"
Name: "{group}\Tocsin training demo"; Filename: "{app}\tocsinw.exe"; Parameters: "demo"; WorkingDir: "{app}"
Name: "{group}\Deployment guide"; Filename: "{app}\docs\deployment.md"
Name: "{group}\{cm:UninstallProgram,Tocsin}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Tocsin"; Filename: "{app}\tocsinw.exe"; Parameters: "console"; WorkingDir: "{app}"; Tasks: desktopicon

[Registry]
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; \
  ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\tocsin.exe"; Parameters: "--version"; Flags: runhidden waituntilterminated; \
  StatusMsg: "Checking the installation..."
Filename: "{app}\tocsinw.exe"; Parameters: "demo"; Description: "Open the training demo now"; \
  Flags: postinstall nowait skipifsilent unchecked

[UninstallDelete]
; Only files the program itself may create inside its folder (none expected); never user data.
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
function NeedsAddPath(Dir: string): Boolean;
var
  Path: string;
begin
  if not RegQueryStringValue(HKLM, 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment', 'Path', Path) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;
